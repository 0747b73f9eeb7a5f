"""Staff roles of a compound's service organisation (domain-rules.md, Roles)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    RESIDENT = "resident"
    DISPATCHER = "dispatcher"  # 调度员 / duty officer
    FRONT_DESK = "front_desk"  # 客服 / 前台
    TEAM_LEAD = "team_lead"  # 主管 / 队长 / 维修班长
    TECHNICIAN = "technician"  # 维修工
    CLEANER = "cleaner"  # 清洁工
    GUARD = "guard"  # 保安 / 护卫员
    MANAGER = "manager"  # 管理处负责人
    DEPUTY_GM = "deputy_gm"  # 主管副总经理
    GENERAL_MANAGER = "general_manager"  # 总经理 (approves paid-service items and fees)
    ENGINEERING = "engineering"  # 工程部
    CASHIER = "cashier"  # 收银员
    CONTROL_ROOM = "control_room"  # 中控室


DESK = frozenset({Role.DISPATCHER, Role.FRONT_DESK, Role.CONTROL_ROOM, Role.MANAGER})
EXECUTORS = frozenset({Role.TECHNICIAN, Role.CLEANER, Role.GUARD})
LEADERSHIP = frozenset({Role.DEPUTY_GM, Role.GENERAL_MANAGER})
APPROVERS = frozenset({Role.MANAGER}) | LEADERSHIP
ALL_STAFF = frozenset(Role) - {Role.RESIDENT}

ROLE_LABELS_ZH: dict[Role, str] = {
    Role.RESIDENT: "业主/住户",
    Role.DISPATCHER: "调度员",
    Role.FRONT_DESK: "前台客服",
    Role.TEAM_LEAD: "班组主管",
    Role.TECHNICIAN: "维修工",
    Role.CLEANER: "清洁工",
    Role.GUARD: "护卫员",
    Role.MANAGER: "管理处经理",
    Role.DEPUTY_GM: "主管副总经理",
    Role.GENERAL_MANAGER: "总经理",
    Role.ENGINEERING: "工程部",
    Role.CASHIER: "收银员",
    Role.CONTROL_ROOM: "中控室",
}

ROLE_LABELS_EN: dict[Role, str] = {
    Role.RESIDENT: "resident",
    Role.DISPATCHER: "dispatcher",
    Role.FRONT_DESK: "front desk",
    Role.TEAM_LEAD: "team lead",
    Role.TECHNICIAN: "technician",
    Role.CLEANER: "cleaner",
    Role.GUARD: "guard",
    Role.MANAGER: "manager",
    Role.DEPUTY_GM: "deputy general manager",
    Role.GENERAL_MANAGER: "general manager",
    Role.ENGINEERING: "engineering",
    Role.CASHIER: "cashier",
    Role.CONTROL_ROOM: "control room",
}
