from apps.common.params import Param

PARAMS = [
    Param("security.login_failure_limit", "登录失败锁定次数", "int", 5, group="安全参数",
          description="同一账号在同一IP连续登录失败达到该次数后锁定 30 分钟", minimum=3, maximum=20, unit="次"),
    Param("security.login_account_failure_limit", "账号累计登录失败锁定次数", "int", 10, group="安全参数",
          description="同一账号从所有IP累计登录失败达到该次数后，账号锁定 30 分钟（任何IP都不能登录），"
                      "并以站内信通知账号本人和管理员", minimum=5, maximum=100, unit="次"),
    Param("security.login_address_failure_limit", "同一IP累计登录失败限制次数", "int", 30, group="安全参数",
          description="同一IP对所有账号累计登录失败达到该次数后，该IP 30 分钟内不能登录任何账号",
          minimum=10, maximum=1000, unit="次"),
]


def login_failure_limit(request, credentials) -> int:
    """django-axes AXES_FAILURE_LIMIT callable: the current parameter value."""
    from apps.common.params import param_get

    return param_get("security.login_failure_limit")
