# syntax=docker/dockerfile:1
# The modelwire image: one image for every service; the sub-command chooses what it runs
# (modelwire db upgrade | slack | discord | scheduler). See docs/deploying.md.
ARG PYTHON_IMAGE=python:3.11-slim

# --- builder: the exact dependencies from requirements.lock, then modelwire with every extra, into /opt/venv ---
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY requirements.lock /tmp/requirements.lock
RUN pip install --no-deps -r /tmp/requirements.lock
WORKDIR /src
COPY . .
# The lock holds the libraries of the `all` extra (Slack, Discord, charts, PostgreSQL); pip check fails
# the build when it no longer satisfies what modelwire declares.
RUN pip install --no-deps ".[all]" && pip check

# --- runtime: the venv alone, run by an unprivileged user ---
FROM ${PYTHON_IMAGE}
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN groupadd --system --gid 10001 modelwire \
 && useradd --system --uid 10001 --gid modelwire --create-home --home-dir /home/modelwire \
            --shell /usr/sbin/nologin modelwire
COPY --from=builder /opt/venv /opt/venv
USER 10001:10001
WORKDIR /home/modelwire
# No HEALTHCHECK here: what to probe depends on the sub-command, so docker-compose.yml declares one
# per service (GET /healthz on MODELWIRE_HEALTH_PORT, or SLACK_PORT in Slack's HTTP mode).
ENTRYPOINT ["modelwire"]
CMD ["--help"]
