"""消息: the in-app notifications each user reads on the 消息 page (beside e-mail and webhooks)."""
