"""The deployment plan for one project: model, derivation and roadmap."""

from dabprp.plan.build import build_plan
from dabprp.plan.model import Plan

__all__ = ["Plan", "build_plan"]
