# Rujukan — the commands a developer needs. Everything installs what it needs first.
.PHONY: up down status test lint contracts help ops-check ops-check-static dashboards demo

help:
	@echo "make up        install what is needed, start Kafka, PostgreSQL, and under a supervisor that"
	@echo "               restarts them the four services, Prometheus and Alertmanager"
	@echo "               (make up BROKERS=3: a replicated 3-broker Kafka cluster)"
	@echo "make demo      play one SLRT day against 'make up': visits, agency answers, an escalation"
	@echo "make down      stop everything 'make up' started"
	@echo "make status    what is running: state, pid, uptime and restarts of every process"
	@echo "make test      install what is needed and run every test against real servers"
	@echo "make lint      ruff + mypy"
	@echo "make contracts regenerate JSON Schema and AsyncAPI from the event models"
	@echo "make ops-check check dashboards, alerts, compose and k8s (live: starts and stops the platform)"
	@echo "make ops-check-static  the same checks without servers"
	@echo "make dashboards  regenerate Grafana dashboards and Strimzi topics/users"

up:
	@bash deploy/local/up.sh

demo:
	@bash deploy/local/demo.sh

down:
	@bash deploy/local/down.sh

status:
	@bash deploy/local/status.sh

test:
	@bash deploy/local/test.sh

lint:
	@bash deploy/local/install-python.sh >/dev/null
	uv run ruff check .
	uv run mypy libs/*/src contracts/src services/*/src
	cd bench && uv run mypy ./*.py

contracts:
	uv run python -m rujukan_contracts.generate

ops-check:
	@bash deploy/ops-check.sh --up

ops-check-static:
	@bash deploy/ops-check.sh --static

dashboards:
	uv run python deploy/grafana/build_dashboards.py
	uv run python deploy/k8s/build_topics.py
