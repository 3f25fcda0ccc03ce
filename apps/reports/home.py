
from apps.common.cards import Card

from .models import Ranking


def inst_cards(request):
    if not request.user.has_perm("reports.view_ranking"):
        return []
    r = Ranking.objects.filter(institution_id=request.user.organization.root_id, scope=Ranking.Scope.PROVINCE,
                               metric=Ranking.Metric.OVERALL).first()
    return [Card("省内综合排名", f"{r.rank} / {r.total}" if r else "-", "inst:ranking", order=45)]
