"""The words questions are made of, apart from names.

A word listed here is never taken for part of a model or benchmark name, so the list deliberately
leaves out words that often end names ("mini", "pro", "max", "hard", "lite", "flash", "preview").
"""

from __future__ import annotations

from knowledge.matching import Lexicon

_FUNCTION_WORDS = """
a about above across after again against all also am an and any anything are as ask at be been before
being below between both but by can could did do does doing done each either else ever every for from
get gets give go going got had has have having he her here hers him his how i if in into is it its
just know let lets like ll me mine more most much my neither no nor not now of off on once one only or
other our out over own please re s same say says she should show shows so some such t tell than thank
thanks that the their them then there these they this those through to too under up us ve very via
want was we were what whats when where whether which while who whom whose why will with would yes yet
you your yours d m isn aren wasn doesn didn don hasn haven won cannot can't need needs find look
hey hi hello bot modelwire okay ok pls plz kind sure list lists give me any currently current today
right really exactly roughly approximately around overall per versus vs v against among each
"""

_QUESTION_WORDS = """
score scores scored scoring result results perform performs performance performed do does did
number numbers figure figures rate rated rating ratings mark marks percent percentage points point
benchmark benchmarks eval evals evaluation evaluations test tests tested measure measures measured
model models llm llms ai system systems
compare compared comparing comparison versus better worse beat beats beaten stronger weaker outperform
outperforms ahead behind difference differ higher lower leads lead leading leader leaders leaderboard
leaderboards best top worst highest lowest rank ranks ranked ranking rankings strongest weakest sota
winner wins win first second third place table chart
who whose made make makes maker makers built build builds developed developer developers created
creator company companies lab labs organization organisation org owner owned behind trained
release releases released launch launches launched announce announced announcement ship shipped new
newest latest recent recently since until last past month months year years week weeks day days ago
date dates
open opened closed source sourced weights weight license licence licensed proprietary
modality modalities multimodal input inputs output outputs accept accepts support supports supported
handle handles understand understands text image images voice audio video speech
context window token tokens length long longest limit limits maximum
cutoff cut knowledge training data trained
price prices pricing cost costs costly expensive cheap cheaper cheapest pay paid dollars usd money
mode modes reasoning reason reasons think thinks thinking
alias aliases codename codenames called named name names known aka api id ids also internal
snapshot snapshots version versions variant variants
status available availability access use used using where
explain explains describe describes description definition mean means meaning what about info
information details detail card summary overview facts fact
many how much
help commands command usage examples example
january february march april may june july august september october november december
jan feb mar apr jun jul aug sep sept oct nov dec this
"""

FUNCTION_WORDS = frozenset(_FUNCTION_WORDS.split()) | frozenset(
    "what which who how when where why model models benchmark benchmarks score scores scored".split())
"""Words that carry no topic: left out when facts are searched."""


FIELD_KEYWORDS: dict[str, tuple[str, ...]] = {
    "org": ("who made", "who built", "who developed", "who created", "who makes", "who is behind", "who behind",
            "maker", "made by", "developer", "developed", "company", "lab", "creator", "built by", "owner"),
    "released": ("released", "release", "release date", "launch", "launched", "came out", "announced",
                 "when", "older", "newer", "earlier", "later"),
    "open_weights": ("open", "open weights", "open source", "open sourced", "closed", "weights",
                     "license", "licence", "licensed", "proprietary"),
    "modalities": ("modality", "modalities", "multimodal", "input", "inputs", "output", "outputs",
                   "accept", "accepts", "image", "images", "voice", "audio", "video", "speech", "vision",
                   "photo", "photos", "picture", "pictures", "pics", "file types", "files", "take in", "pdf"),
    "context_window": ("context", "context window", "context length", "window", "token limit", "how many tokens",
                       "max context", "maximum context",
                       "ctx", "prompt", "prompts"),
    "max_output_tokens": ("max output", "maximum output", "output tokens", "output limit", "max tokens",
                          "output length", "longest answer", "longest output", "longest response"),
    "knowledge_cutoff": ("cutoff", "cut off", "knowledge cutoff", "training data up to", "trained up to",
                         "data up to", "up to when", "data goes up to"),
    "pricing": ("price", "prices", "pricing", "cost", "costs", "expensive", "cheap", "cheaper", "cheapest",
                "pricier", "priciest", "per token", "how much is"),
    "modes": ("mode", "modes"),
    "aliases": ("alias", "aliases", "codename", "codenames", "aka", "also known", "internal name",
                "api id", "called", "known as", "other names"),
    "reasoning": ("reasoning", "reason", "think", "thinking"),
    "tool_calling": ("tool calling", "tool call", "tool calls", "tool use", "function calling", "function calls",
                     "call functions", "use tools"),
    "status": ("status", "available", "availability", "access", "deprecated", "retired", "discontinued",
               "still around", "still available"),
}
"""Phrases that ask for one field of a model card, matched on normalised words."""

PHRASES = frozenset(tuple(phrase.split()) for phrases in FIELD_KEYWORDS.values() for phrase in phrases
                    if " " in phrase)
"""Multi-word question phrases: never part of a name ("Gemini 2.5 Pro max output")."""

TOPIC_WORDS: dict[str, tuple[str, ...]] = {
    "business": ("business", "money", "invest", "investment", "stake", "pay", "paid", "spend", "spent",
                 "capex", "capital", "expenditure", "billion", "shares", "stock", "deal", "acquire",
                 "acquired", "acquisition", "market", "investors"),
    "training": ("training", "trained", "train", "data", "physicians", "doctors", "rl", "reinforcement"),
    "compute": ("compute", "efficient", "efficiency", "gpu", "gpus", "flops", "cheaper"),
    "availability": ("available", "availability", "where", "access", "api", "app", "use", "try",
                     "countries", "platforms"),
    "licensing": ("open", "source", "closed", "license", "licence", "weights"),
    "history": ("history", "delayed", "delay", "rebuilt", "built", "when", "began", "started", "origin"),
    "people": ("who", "leads", "led", "chief", "officer", "ceo", "founder", "people"),
    "modes": ("mode", "modes", "contemplating"),
    "capabilities": ("good", "strong", "strength", "strengths", "capable", "capabilities", "can"),
    "ranking": ("rank", "ranking", "ranked", "place", "position", "fourth", "where"),
}
"""Question words that point at a fact topic, used to rank free-text facts."""

SYNONYMS = (
    frozenset("tool tools function functions calling call calls".split()),
    frozenset("weights weight download downloads checkpoint checkpoints huggingface hugging".split()),
    frozenset("link links url urls website site page docs documentation https http".split()),
    frozenset("build built rebuilt develop developed development".split()),
    frozenset("long months years weeks time duration".split()),
    frozenset("agent agents subagent subagents".split()),
    frozenset("doctor doctors physician physicians clinician clinicians".split()),
    frozenset("buy bought buys acquire acquired acquires acquisition purchase purchased".split()),
    frozenset("run runs running lead leads led head heads chief".split()),
)
"""Words that mean the same thing in a question about facts ("tool calling" is "function calling")."""

QUESTION_WORDS = Lexicon([*(_FUNCTION_WORDS + _QUESTION_WORDS).split(), *(w for ws in TOPIC_WORDS.values() for w in ws),
                          *(p for phrases in FIELD_KEYWORDS.values() for p in phrases if " " not in p),
                          *(w for group in SYNONYMS for w in group)])
"""Question words, with one-edit spelling correction for words of five letters or more."""

COMPARE_WORDS = frozenset("compare compared comparing comparison vs versus v against better worse beat beats "
                          "stronger weaker outperform outperforms difference differ ahead".split())
LEADERBOARD_WORDS = frozenset("best top worst highest lowest rank ranks ranked ranking rankings leaderboard "
                              "leaderboards leader leaders leads leading strongest weakest sota winner wins "
                              "first 1st winning".split())
RELEASE_WORDS = frozenset("release releases released launch launches launched announce announced "
                          "announcement ship shipped new newest latest recent recently".split())
HELP_WORDS = frozenset("help commands command usage examples".split())
WORSE_WORDS = frozenset("worse weaker worst lowest weakest behind".split())
FOLLOWUP_OPENERS = frozenset({"and", "also", "now", "then", "same", "plus", "ok", "okay", "what about",
                              "how about", "and what", "and how", "and on", "and for"})
"""How a question that continues the last one begins ("and GPT-5.4?", "what about ARC-AGI-2?")."""
FOLLOWUP_POINTERS = frozenset("there it its they them their that those these too both".split())
"""Words that point back at what was just discussed ("how did Muse Spark do there?")."""
SCORE_WORDS = frozenset("score scores scored scoring result results perform performs performed performance "
                        "get got gets".split())
"""Words that ask for a benchmark figure: an unknown name beside them is the benchmark asked for."""
NUMBER_WORDS = frozenset("one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty "
                         "hundred hundreds thousand thousands million millions billion billions trillion dozen "
                         "dozens half twice double triple times percent".split())
"""Numbers written as words: a fact with one answers "how many" or "how much"."""
GENERIC_WORDS = frozenset("""
explain explains describe describes description definition mean means meaning about info information details
detail card summary overview facts fact model models llm llms ai system systems tell show know name names
good bad best thing things anything everything new latest really
""".split())
"""Words that ask about something in general, not for one thing in particular."""
