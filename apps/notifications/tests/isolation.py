"""Entries for the URL isolation registry (tests/test_url_isolation.py merges them): the institution's robot URLs
point at institution B's robot, which A's admin must not reach; the platform's take any id (数银's own robots)."""


def b_robot(c):
    from apps.notifications.models import Robot
    from apps.notifications.services import robot_save

    robot = Robot.objects.filter(organization=c.inst_b).first() or robot_save(
        actor=c.b_admin, organization=c.inst_b, kind="wecom", name="乙机构群",
        webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=b-key", events=["offer.created"])
    return {"pk": robot.pk}


FOREIGN = {
    "inst:robot_edit": b_robot,
    "inst:robot_delete": b_robot,
    "inst:robot_test": b_robot,
    "platform:demo_mail": lambda c: {"key": "no-such-mail"},
}
FOREIGN_DEFAULT_OK = {"platform:robot_edit", "platform:robot_delete", "platform:robot_test"}
