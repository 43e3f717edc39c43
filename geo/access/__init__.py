"""Who may see what: the role table (:mod:`geo.access.roles`) and local users (:mod:`geo.access.users`)."""

from geo.access.roles import ROLES, Role, can, role

__all__ = ["ROLES", "Role", "can", "role"]
