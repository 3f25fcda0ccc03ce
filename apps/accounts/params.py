from apps.common.params import Param

PARAMS = [
    Param("security.login_failure_limit", "登录失败锁定次数", "int", 5, group="安全参数",
          description="同一账号在同一IP连续登录失败达到该次数后锁定 30 分钟", minimum=3, maximum=20, unit="次"),
]


def login_failure_limit(request, credentials) -> int:
    """django-axes AXES_FAILURE_LIMIT callable: the current parameter value."""
    from apps.common.params import param_get

    return param_get("security.login_failure_limit")
