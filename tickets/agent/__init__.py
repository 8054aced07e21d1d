"""The agents' workspace: the queue dashboard, the ticket workspace and the SLA reports pages.

Pages only (thin doors): reads go through `tickets.selectors`, writes through `tickets.services`,
rules through `tickets.policy`. The chat console lives in `chat.views` and shares the base
template `templates/agent/base.html` (its navigation: Queue, Chats, Reports).
"""
