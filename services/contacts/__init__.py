"""Reminder contacts (提醒联系人) and the delivery log (发送记录) in the web.

- `scope`: which townships and branches a user sees and may change;
- `manage`: list, add, edit, remove contacts (the CLI's checks);
- `log`: the outbox as a delivery log, filtered and paged; retry of stopped rows.
"""
from services.contacts.log import STATES, delivery_log, retry
from services.contacts.manage import add, contacts_page, edit, get, remove

__all__ = ["STATES", "add", "contacts_page", "delivery_log", "edit", "get", "remove", "retry"]
