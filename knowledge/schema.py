"""SQLAlchemy 2 tables of the knowledge base.

``pack_members`` records every row a pack declares (organizations, models, benchmarks, sources,
aliases, scores, facts, releases), so a pack can be re-imported in place, two packs can share a
record, and a pack can be exported again. Names and aliases of organizations, models and benchmarks live in one
``aliases`` table keyed by their normalised form, which makes "merge by name or alias" a lookup.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from knowledge.clock import naive_utcnow


class Base(DeclarativeBase):
    """Declarative base of every knowledge table."""


class Meta(Base):
    """Key/value settings of the database itself, such as the knowledge version."""

    __tablename__ = "kb_meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))


class Pack(Base):
    """One imported knowledge pack."""

    __tablename__ = "packs"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    title: Mapped[str | None] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    bundled: Mapped[bool] = mapped_column(Boolean, default=False)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime, default=naive_utcnow)


class PackMember(Base):
    """That a pack declares a row; ``kind`` is org, model, benchmark, source, alias, score, fact or release."""

    __tablename__ = "pack_members"
    pack_id: Mapped[str] = mapped_column(ForeignKey("packs.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    entity_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class Source(Base):
    """Where a record comes from: an article, an announcement, a leaderboard."""

    __tablename__ = "sources"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    title: Mapped[str | None] = mapped_column(String(500))
    publisher: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(1000))
    published: Mapped[dt.date | None] = mapped_column(Date)


class Organization(Base):
    """A lab, company or unit that makes models."""

    __tablename__ = "organizations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    description: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(1000))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))


class Model(Base):
    """An AI model, with the facts that have a field of their own."""

    __tablename__ = "models"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    family: Mapped[str | None] = mapped_column(String(200))
    released: Mapped[str | None] = mapped_column(String(10), index=True)
    status: Mapped[str] = mapped_column(String(20), default="released")
    open_weights: Mapped[bool | None] = mapped_column(Boolean)
    license: Mapped[str | None] = mapped_column(String(200))
    input_modalities: Mapped[list | None] = mapped_column(JSON)
    output_modalities: Mapped[list | None] = mapped_column(JSON)
    context_window: Mapped[int | None] = mapped_column(Integer, index=True)
    max_output_tokens: Mapped[int | None] = mapped_column(Integer, index=True)
    knowledge_cutoff: Mapped[str | None] = mapped_column(String(10))
    reasoning: Mapped[bool | None] = mapped_column(Boolean)
    tool_calling: Mapped[bool | None] = mapped_column(Boolean)
    modes: Mapped[list | None] = mapped_column(JSON)
    pricing: Mapped[dict | None] = mapped_column(JSON)
    input_price: Mapped[float | None] = mapped_column(Float, index=True)
    """``pricing["input_per_mtok"]`` as a column, so the finder filters and sorts on an index."""
    output_price: Mapped[float | None] = mapped_column(Float, index=True)
    description: Mapped[str | None] = mapped_column(Text)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    field_sources: Mapped[dict | None] = mapped_column(JSON)
    """Per field, the id of the source whose value the field holds (see ``ModelClaim``)."""


class ModelClaim(Base):
    """What one pack says about one model: its field values and, per field, the source that states it.

    A model's own columns hold, field by field, the value of the claim whose source is newest (its
    publication date, then the latest import); the other claims stay so answers can show where sources
    disagree, and so dropping a pack leaves the model with what the remaining packs say.
    """

    __tablename__ = "model_claims"
    __table_args__ = (UniqueConstraint("model_id", "pack_id", name="uq_model_claims_model_pack"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"), index=True)
    pack_id: Mapped[str] = mapped_column(ForeignKey("packs.id", ondelete="CASCADE"))
    values: Mapped[dict] = mapped_column(JSON)
    sources: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=naive_utcnow)


class Benchmark(Base):
    """An evaluation that models are scored on."""

    __tablename__ = "benchmarks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(String(100))
    unit: Mapped[str | None] = mapped_column(String(40))
    higher_is_better: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(1000))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))


class Alias(Base):
    """A name or alias of an organization, model or benchmark; ``norm`` is unique per kind."""

    __tablename__ = "aliases"
    __table_args__ = (UniqueConstraint("kind", "norm", name="uq_aliases_kind_norm"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    entity_id: Mapped[int] = mapped_column(Integer)
    alias: Mapped[str] = mapped_column(String(300))
    norm: Mapped[str] = mapped_column(String(300))
    is_name: Mapped[bool] = mapped_column(Boolean, default=False)


Index("ix_aliases_entity", Alias.kind, Alias.entity_id)


class Score(Base):
    """One published result of a model on a benchmark, in a setting, from a source."""

    __tablename__ = "scores"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"))
    benchmark_id: Mapped[int] = mapped_column(ForeignKey("benchmarks.id", ondelete="CASCADE"))
    value: Mapped[float] = mapped_column(Float)
    setting: Mapped[str] = mapped_column(String(300), default="")
    date: Mapped[dt.date | None] = mapped_column(Date)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))


Index("ix_scores_model_benchmark", Score.model_id, Score.benchmark_id)
Index("ix_scores_benchmark_value", Score.benchmark_id, Score.value)


class Fact(Base):
    """A statement about a model, organization or benchmark that fits no field."""

    __tablename__ = "facts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(12))
    subject_id: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    topic: Mapped[str | None] = mapped_column(String(100))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))


Index("ix_facts_subject", Fact.subject_kind, Fact.subject_id)


class Release(Base):
    """A release record: what digests announce. ``created_at`` is when it entered the base."""

    __tablename__ = "releases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int | None] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    title: Mapped[str] = mapped_column(String(500))
    summary: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(1000))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=naive_utcnow, index=True)



class SeenEvent(Base):
    """A chat platform event already handled: platforms retry, and a retry may reach another replica."""

    __tablename__ = "seen_events"
    platform: Mapped[str] = mapped_column(String(20), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    seen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=naive_utcnow, index=True)


class Conversation(Base):
    """The context of a chat conversation's last answer, for its follow-up questions (see ``bot.conversation``).

    ``context`` is JSON text (the answer's ``context``); ``updated_at`` (naive UTC) ages it out.
    """

    __tablename__ = "conversations"
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    context: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=naive_utcnow, index=True)


class ModelUpdate(Base):
    """A change to a known model seen by a data sync: a new score, a context or price change, a
    deprecation. ``detail`` says it in words; digests that opt into updates show it."""

    __tablename__ = "model_updates"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(String(500))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=naive_utcnow, index=True)


class Subscription(Base):
    """A channel's subscription to release digests.

    ``last_release_id`` is the highest release id already planned into a digest (at creation: the newest
    release id, so a new subscriber gets no backlog). ``next_due_at`` (UTC) and ``next_period`` name
    the next scheduled digest; instant subscriptions have neither and are due whenever a release
    newer than ``last_release_id`` exists.
    """

    __tablename__ = "subscriptions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    workspace: Mapped[str] = mapped_column(String(64), default="")
    channel: Mapped[str] = mapped_column(String(64))
    cadence: Mapped[str] = mapped_column(String(10))
    at_time: Mapped[str | None] = mapped_column(String(5))
    weekday: Mapped[int | None] = mapped_column(Integer)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    org_ids: Mapped[list | None] = mapped_column(JSON)
    open_weights_only: Mapped[bool] = mapped_column(Boolean, default=False)
    modality: Mapped[str | None] = mapped_column(String(20))
    min_context: Mapped[int | None] = mapped_column(Integer)
    """Finder filters (``knowledge.finder.ModelQuery``); None: not filtered. Tokens, at least."""
    max_input_price: Mapped[float | None] = mapped_column(Float)
    """US dollars per million input tokens, at most."""
    reasoning: Mapped[bool | None] = mapped_column(Boolean)
    tool_calling: Mapped[bool | None] = mapped_column(Boolean)
    license: Mapped[str | None] = mapped_column(String(100))
    """A part of the licence, lower case."""
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=naive_utcnow)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(300))
    last_release_id: Mapped[int] = mapped_column(Integer, default=0)
    include_updates: Mapped[bool] = mapped_column(Boolean, default=False)
    last_update_id: Mapped[int] = mapped_column(Integer, default=0)
    next_due_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    next_period: Mapped[str | None] = mapped_column(String(20))


Index("ix_subscriptions_channel", Subscription.platform, Subscription.workspace, Subscription.channel)
Index("ix_subscriptions_due", Subscription.active, Subscription.next_due_at)


class Delivery(Base):
    """The outbox: one digest of one subscription for one period, and how its delivery went.

    ``status`` is pending (waiting, maybe for a retry at ``next_attempt_at``), sending (claimed by a
    scheduler at ``claimed_at``), sent (with the platform's ``message_id``) or failed (given up).
    """

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("subscription_id", "period", name="uq_deliveries_subscription_period"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(20))
    """The subscription's platform, copied so claiming reads this table alone."""
    period: Mapped[str] = mapped_column(String(40))
    release_ids: Mapped[list] = mapped_column(JSON)
    update_ids: Mapped[list | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    message_id: Mapped[str | None] = mapped_column(String(100))
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=naive_utcnow)


Index("ix_deliveries_status_next", Delivery.status, Delivery.next_attempt_at)


class FactTerm(Base):
    """One term of a fact: a word stem of its text, or ``:topic`` (``knowledge.factterms``)."""

    __tablename__ = "fact_terms"
    stem: Mapped[str] = mapped_column(Text, primary_key=True)
    fact_id: Mapped[int] = mapped_column(ForeignKey("facts.id", ondelete="CASCADE"), primary_key=True)


Index("ix_fact_terms_fact", FactTerm.fact_id)
