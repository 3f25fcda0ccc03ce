"""Demo organisations and users (see README). Idempotent: existing rows are left as they are."""
from apps.regions.models import Region

from .models import Organization, User
from .services import institution_role, organization_create, platform_role, user_create

DEMO_PASSWORD = "shuyin-demo-2026"

# 数银's departments: each user sits in the unit that does its role's work.
PLATFORM_UNITS = [("shuyin-customer", "客户部"), ("shuyin-risk", "审核部"), ("shuyin-business", "业务部"),
                  ("shuyin-settlement", "结算部"), ("shuyin-complaints", "投诉处理中心"), ("shuyin-it", "信息技术部")]

# username, real name, unit, role, superior, mobile
PLATFORM_USERS = [
    ("admin", "何志强", "shuyin-it", "sysadmin", None, "13900000001"),
    ("tl1", "赵明辉", "shuyin-customer", "cm_leader", None, "13900000010"),
    ("cm1", "钱晓峰", "shuyin-customer", "cm", "tl1", "13900000011"),
    ("cm2", "孙丽娟", "shuyin-customer", "cm", "tl1", "13900000012"),
    ("lrs1", "周文涛", "shuyin-risk", "lr_supervisor", None, "13900000020"),
    ("cs1", "李婷婷", "shuyin-risk", "cs", "lrs1", "13900000021"),
    ("lr1", "吴建平", "shuyin-risk", "lr", "lrs1", "13900000022"),
    ("bd1", "郑国华", "shuyin-business", "business_dept", None, "13900000030"),
    ("of1", "王海燕", "shuyin-business", "of", "bd1", "13900000031"),
    ("fo1", "刘雨桐", "shuyin-business", "of_clerk", "of1", "13900000034"),
    ("st1", "冯佳怡", "shuyin-settlement", "settlement_clerk", "bd1", "13900000032"),
    ("cc1", "陈思远", "shuyin-complaints", "complaint_center", "bd1", "13900000033"),
]

# Each demo institution's people: (admin, officer) real names; inst1's 南山支行 has its own officer.
INSTITUTION_PEOPLE = {"inst1": ("林志远", "黄晓东"), "inst2": ("沈慧敏", "蒋文斌"), "inst3": ("罗建军", "唐雪梅")}
INST1_SUB_OFFICER = "许晨"

# code, name, region code (district), credit code
INSTITUTIONS = [
    ("inst1", "深圳前海信贷服务有限公司", "440305", "91440300MA5DAAAA1X"),
    ("inst2", "杭州西湖小额贷款有限公司", "330106", "91330100MA2BBBBB2R"),
    ("inst3", "成都锦江融资担保有限公司", "510104", "91510100MA6CCCCC33"),
]


def _region(code: str):
    return Region.objects.filter(code__startswith=code).order_by("level", "code").first()


def _user(username, real_name, org, roles, superior=None, mobile=""):
    existing = User.objects.filter(username=username).first()
    if existing:
        return existing, False
    return user_create(username=username, password=DEMO_PASSWORD, real_name=real_name, organization=org,
                       roles=roles, superior=superior, mobile=mobile, email=f"{username}@demo.shuyin.cn"), True


def seed() -> list[str]:
    created = []
    root = Organization.objects.filter(code="shuyin").first() or organization_create(
        code="shuyin", name="数银在线", kind=Organization.Kind.PLATFORM, region=_region("440300"))
    units = {}
    for code, name in PLATFORM_UNITS:
        units[code] = Organization.objects.filter(code=code).first() or organization_create(
            code=code, name=name, kind=Organization.Kind.PLATFORM, parent=root)
    users = {}
    for username, real_name, unit, role, superior, mobile in PLATFORM_USERS:
        users[username], new = _user(username, real_name, units[unit], [platform_role(role)],
                                     users.get(superior), mobile)
        if new:
            created.append(username)
    for idx, (code, name, region_code, credit) in enumerate(INSTITUTIONS, start=1):
        inst = Organization.objects.filter(code=code).first() or organization_create(
            code=code, name=name, kind=Organization.Kind.INSTITUTION, region=_region(region_code),
            credit_code=credit, contact_name=INSTITUTION_PEOPLE[code][0],
            contact_phone=f"0755-8800000{idx}")
        admin_name, officer_name = INSTITUTION_PEOPLE[code]
        if inst.follower_id is None:
            Organization.objects.filter(pk=inst.pk).update(follower=users["of1"])
        admin, new = _user(f"{code}_admin", admin_name, inst, [institution_role(inst, "inst_admin")],
                           mobile=f"1370000{idx:02d}01")
        created += [admin.username] if new else []
        op, new = _user(f"{code}_op1", officer_name, inst, [institution_role(inst, "inst_officer")],
                        superior=admin, mobile=f"1370000{idx:02d}02")
        created += [op.username] if new else []
        if code == "inst1":
            sub = Organization.objects.filter(code="inst1-sub").first() or organization_create(
                code="inst1-sub", name="深圳前海信贷南山支行", kind=Organization.Kind.INSTITUTION, parent=inst,
                region=_region("440305"))
            sub_op, new = _user("inst1_sub_op1", INST1_SUB_OFFICER, sub, [institution_role(inst, "inst_viewer")],
                                mobile="13700000103")
            created += [sub_op.username] if new else []
    return created
