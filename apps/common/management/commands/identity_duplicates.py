"""List the rows whose identifiers could not be normalised to ASCII without two rows sharing one (see
apps.common.identity): ``python manage.py identity_duplicates`` lists them; ``--recheck`` normalises again
after an administrator resolved a conflict. Exit status 1 while any remain (for monitoring)."""
from django.core.management.base import BaseCommand

from apps.common.identity import identity_conflicts, identity_recheck


class Command(BaseCommand):
    help = "列出规范化后重复、待管理员核对的身份证号与统一社会信用代码（--recheck 先重新规范化）"

    def add_arguments(self, parser):
        parser.add_argument("--recheck", action="store_true", help="重新规范化，已解决的冲突行恢复正常")

    def handle(self, *args, recheck=False, **options):
        groups = identity_recheck() if recheck else identity_conflicts()
        if not groups:
            self.stdout.write("没有待核对的重复身份标识。")
            return
        for group in groups:
            self.stdout.write(f"{group['kind']} {group['value']}：{len(group['rows'])} 条")
            for row in group["rows"]:
                self.stdout.write(f"  #{row['pk']} {row['name']} 存储值 {row['stored']!r} "
                                  f"{row['created_at']:%Y-%m-%d %H:%M} {row['by']}")
        self.stdout.write(f"共 {len(groups)} 组待核对。")
        raise SystemExit(1)
