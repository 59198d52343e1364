"""One module per programme; each turns ``Facts`` and a year into an ``Evaluation``."""

from __future__ import annotations

from renkou.benefits.programmes import childcare, only_child, rural_reward, special_assistance

PROGRAMMES = {
    "rural_reward": rural_reward,
    "special_assistance": special_assistance,
    "only_child": only_child,
    "childcare": childcare,
}
