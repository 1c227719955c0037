"""People: applicants and members (mentors, sponsors) — adding them, correcting their profile, and
the national category lists their 学历, 职业, 民族 and 类别 are chosen from (what the reports count).

- categories: the lists (one source with the reports) and the check of a typed value;
- profile: the checks of every field, one violation per bad field;
- records: the use cases (add, edit, 留党察看 / 恢复), with access and audit;
- views: what the people pages show.
"""
from .categories import compose, lists
from .profile import check_profile
from .records import add_person, can_write, edit_person, set_rights, writable_branches
from .views import people_page, person_page

__all__ = ["add_person", "can_write", "check_profile", "compose", "edit_person", "lists", "people_page",
           "person_page", "set_rights", "writable_branches"]
