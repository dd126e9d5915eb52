"""Answering in a chat bot's pool of answer workers (MODELWIRE_ANSWER_WORKERS), within a time budget
(MODELWIRE_ANSWER_TIMEOUT_SECONDS): the Slack and Discord apps answer off the event loop this same way.

A thread cannot be stopped: an answer past its budget runs on to its end, and its late result is
dropped; the person gets ``TOO_SLOW`` instead of silence. A question still waiting for a worker when
its budget runs out is never started.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import TypeVar

from adapters.settings import AnswerSettings
from bot.values import Answer, Question
from knowledge.store import KnowledgeBase

log = logging.getLogger("modelwire.answers")
TOO_SLOW = "That question took too long to answer; please try again or narrow it down."
"""The reply when an answer was not ready within its budget."""
T = TypeVar("T")


class TooSlow(Exception):
    """An answer was not ready within its budget (the adapter replies with ``TOO_SLOW``)."""


async def answer_in_time(executor: Executor, budget: float, answer: Callable[[Question, KnowledgeBase], Answer],
                         question: Question, kb: KnowledgeBase) -> Answer:
    """``answer(question, kb)`` in ``executor``, or TooSlow once ``budget`` seconds have passed since it was
    submitted (waiting for a free worker counts); a WARNING gives the time taken."""
    began = time.monotonic()
    work = executor.submit(answer, question, kb)
    try:
        return await asyncio.wait_for(asyncio.wrap_future(work), budget)
    except asyncio.TimeoutError:
        origin = question.origin
        log.warning("an answer took over its %g s budget (%.1f s so far; %s channel=%s user=%s): the person "
                    "gets an apology, and the answer is dropped when it is ready", budget,
                    time.monotonic() - began, origin.platform, origin.channel, origin.user)
        work.add_done_callback(lambda done: _dropped(done, began, origin.platform))
        raise TooSlow(f"no answer within {budget:g} s") from None


def _dropped(work: Future, began: float, platform: str) -> None:
    if not work.cancelled():  # a question that never reached a worker was not worked on at all
        log.info("a late %s answer was ready after %.1f s and was dropped", platform, time.monotonic() - began)


class AnswerPool(ThreadPoolExecutor):
    """A chat bot's bounded pool of answer workers and its answers' time budget (see ``AnswerSettings``).

    Answering and the bot's other blocking work (the database) run here, off the event loop.
    """

    def __init__(self, settings: AnswerSettings | None = None):
        settings = settings or AnswerSettings()
        super().__init__(max_workers=settings.workers, thread_name_prefix="modelwire-answer")
        self.budget = settings.timeout_seconds

    async def answer(self, answer: Callable[[Question, KnowledgeBase], Answer], question: Question,
                     kb: KnowledgeBase) -> Answer:
        """``answer(question, kb)`` in a worker; TooSlow past the budget (see ``answer_in_time``)."""
        return await answer_in_time(self, self.budget, answer, question, kb)

    async def run(self, work: Callable[..., T], *args: object) -> T:
        """``work(*args)`` in a worker, without a budget (blocking work such as a database write)."""
        return await asyncio.get_running_loop().run_in_executor(self, work, *args)
