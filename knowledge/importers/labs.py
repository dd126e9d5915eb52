"""Display names of AI labs from the short ids that catalogues use ("openai", "zhipuai", "moonshotai")."""

from __future__ import annotations

import re

LAB_NAMES: dict[str, str] = {
    "openai": "OpenAI",
    "anthropic": "Anthropic",
    "google": "Google",
    "meta": "Meta",
    "meta-llama": "Meta",
    "xai": "xAI",
    "x-ai": "xAI",
    "mistral": "Mistral AI",
    "mistralai": "Mistral AI",
    "deepseek": "DeepSeek",
    "alibaba": "Alibaba (Qwen)",
    "qwen": "Alibaba (Qwen)",
    "zhipuai": "Zhipu AI",
    "zai": "Zhipu AI",
    "z-ai": "Zhipu AI",
    "moonshotai": "Moonshot AI",
    "moonshot": "Moonshot AI",
    "cohere": "Cohere",
    "amazon": "Amazon",
    "microsoft": "Microsoft",
    "nvidia": "NVIDIA",
    "ibm": "IBM",
    "minimax": "MiniMax",
    "baidu": "Baidu",
    "tencent": "Tencent",
    "bytedance": "ByteDance",
    "perplexity": "Perplexity",
    "ai21": "AI21 Labs",
    "01-ai": "01.AI",
    "allenai": "Ai2",
    "stepfun": "StepFun",
    "liquid": "Liquid AI",
    "nousresearch": "Nous Research",
    "inception": "Inception",
    "inclusionai": "inclusionAI",
}
"""Lab id (lower case) to display name; several ids may share one name (one organization)."""

LAB_ALIASES: dict[str, list[str]] = {
    "Zhipu AI": ["Z.ai", "Zhipu"],
    "Alibaba (Qwen)": ["Alibaba", "Qwen", "Alibaba Cloud"],
    "Mistral AI": ["Mistral"],
    "Moonshot AI": ["Moonshot"],
}
"""Well-known other names of an organization, beyond the lab ids it was found under."""

_UPPER_WORDS = {"ai", "ml", "llm", "lm", "nlp"}


def lab_name(lab: str) -> str:
    """The display name of a lab id: from ``LAB_NAMES``, or the id's words title-cased ("acme-ai" -> "Acme AI")."""
    known = LAB_NAMES.get(lab.lower())
    if known:
        return known
    words = [w for w in re.split(r"[-_.\s]+", lab) if w]
    return " ".join(w.upper() if w.lower() in _UPPER_WORDS else w[:1].upper() + w[1:] for w in words) or lab
