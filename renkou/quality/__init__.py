"""Data quality (逻辑校验): logic-check rules, findings, confirmations and quality rates."""
