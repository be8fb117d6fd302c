"""Celery discovers tasks in `<app>.tasks`; the claims app's task lives beside its service."""

from .documents import render_document

__all__ = ["render_document"]
