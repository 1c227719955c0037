"""In-app notices (站内通知): a per-user inbox fed through the notification outbox.

- `send`: who receives an organisation's notices; `notify` (the review loop's 报送/退回/审批);
  `settle` (a 报送 approved or returned, a 退回 submitted again: their notices marked read);
- `deliver`: the dispatcher's delivery of `inapp` rows (a notice row, exactly once);
- `inbox`: the bell's count, the list, mark read;
- `texts`: Chinese titles and bodies of the review notices from the templates.
"""
from services.notices.inbox import deliver_now, inbox, mark_all_read, mark_read, open_notice, unread_count
from services.notices.send import SIDE_ROLES, notify, recipients, settle
from services.notices.texts import review_text

__all__ = ["SIDE_ROLES", "deliver_now", "inbox", "mark_all_read", "mark_read", "notify", "open_notice", "recipients",
           "review_text", "settle", "unread_count"]
