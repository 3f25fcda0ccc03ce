"""The institution path of a complaint in the browser: an institution admin files a complaint (with an
attachment) in the institution back office, the complaint centre accepts it and routes it to that institution,
the institution records whether it holds (and why), reports back in two parts, and the complaint centre
confirms — 已完成 — with screenshots. A suggestion goes to a department chosen from a select, whose member marks it
handled; the filer of an internal complaint sees the outcome and the reply only."""
import pytest

from tests.browser.helpers import confirm, sign_in as browser_login, switch
from tests.fixtures.files import PNG

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_institution_path_in_the_browser(page, shot, cast):
    from apps.complaints.models import Complaint

    browser_login(page, cast.a_admin, "inst")
    page.click("text=发起投诉")
    page.fill("#id_subject", "客户反映放款前被要求购买保险")
    page.fill("#id_content", "客户王先生反映：办理经营贷时，我行客户经理要求其购买保险，否则不予放款。请数银协助核实。")
    page.fill("#id_contact_person", "王先生")
    page.fill("#id_contact_phone", "13912345678")
    page.set_input_files("#id_attachments", [{"name": "聊天截图.png", "mimeType": "image/png", "buffer": PNG}])
    shot(page, "complaint-1-inst-new")
    page.click("button:has-text('提交投诉')")
    c = Complaint.objects.get()
    assert f"已提交投诉 {c.number}" in page.content() and "聊天截图.png" in page.content()
    shot(page, "complaint-2-inst-filed")

    switch(page, cast.cc, "ops")
    page.click("text=投诉处理看板")
    assert "受理审核" in page.inner_text("[data-testid=step-counts]")
    shot(page, "complaint-3-ops-dashboard")
    page.click("text=投诉列表")
    page.wait_for_function("document.querySelector('[data-countdown]').textContent.startsWith('剩余')")
    shot(page, "complaint-4-ops-list")
    page.click(f"text={c.number}")
    page.check("#id_decision_2")  # 受理
    page.select_option("#id_responsible_kind", "institution")
    page.select_option("#id_institution", label=cast.inst_a.name)
    shot(page, "complaint-5-ops-screening")
    assert "受理审核结论" in confirm(page, "button:has-text('提交审核结论')")
    assert f"已受理，转交{cast.inst_a.name}核实处理" in page.content() and "机构处理中" in page.content()

    switch(page, cast.a_admin, "inst")
    page.click("text=投诉记录查询")
    assert "机构处理中" in page.inner_text("[data-testid=complaints]")
    page.click(f"text={c.number}")
    confirm(page, "button:has-text('提交反馈')")  # the finding comes first: refused without it
    assert "请选择投诉是否成立" in page.content()
    shot(page, "complaint-6a-inst-report-finding-first")
    page.goto(f"{page.base}/inst/complaints/{c.pk}/")
    page.check("#id_holds_0")  # 成立
    page.fill("#id_holds_reason", "经调取通话录音，经办客户经理确有要求客户购买保险的行为。")
    page.fill("#id_agreement", "已与王先生当面沟通并致歉，取消保险搭售，按原方案放款。")
    page.fill("#id_internal", "对经办客户经理通报批评，扣减当季绩效，全行开展合规培训。")
    shot(page, "complaint-6-inst-report")
    confirm(page, "button:has-text('提交反馈')")
    assert "已提交处理反馈，等待数银确认" in page.content()

    switch(page, cast.cc, "ops")
    page.goto(f"{page.base}/ops/complaints/{c.pk}/")
    assert "取消保险搭售" in page.inner_text("[data-testid=handling]")
    assert "确有要求客户购买保险" in page.inner_text("[data-testid=handling]")  # the institution's finding
    page.fill("#id_reply", "经核实，机构已取消保险搭售并按原方案放款，相关人员已处理。感谢您的反馈。")
    shot(page, "complaint-7-ops-confirm")
    assert "结束本投诉" in confirm(page, "button:has-text('确认办结并答复')")
    assert "投诉已办结" in page.content()
    assert "已完成" in page.inner_text("[data-testid=complaint-header]")
    shot(page, "complaint-8-ops-closed")
    c.refresh_from_db()
    assert c.status == Complaint.Status.CLOSED and c.institution_id == cast.inst_a.pk

    switch(page, cast.a_admin, "inst")
    page.goto(f"{page.base}/inst/complaints/{c.pk}/")
    assert "感谢您的反馈" in page.content()
    shot(page, "complaint-9-inst-closed")


def test_internal_path_forms_in_the_browser(page, shot, cast):
    """The CM's leader decides, the CM and then the leader confirm the penalty (in confirm dialogs)."""
    from apps.complaints import services
    from apps.complaints.models import Complaint

    c = services.complaint_file(actor=cast.cm2, subject="客户经理多次未接电话", content="客户反映联系不上客户经理。",
                                contact_person="赵女士", contact_phone="13700001111", on_behalf_of_client=True)
    services.screen(actor=cast.cc, complaint_id=c.pk, decision="accepted", responsible_kind="cm",
                    responsible_user_id=cast.cm.pk)

    browser_login(page, cast.tl, "ops")
    page.goto(f"{page.base}/ops/complaints/{c.pk}/")
    page.check("#id_holds_0")
    page.fill("#id_decision", "属实：客户经理三天未回复客户。")
    shot(page, "complaint-10-ops-decide")
    confirm(page, "button:has-text('提交处理决定')")
    assert "投诉成立时请填写处罚" in page.content()
    shot(page, "complaint-11-ops-decide-error")
    page.fill("#id_penalty", "通报批评，扣减当月绩效 10%")
    confirm(page, "button:has-text('提交处理决定')")
    assert "已通知责任人确认处罚" in page.content()

    for user, role in ((cast.cm, "责任人"), (cast.tl, "上级")):
        switch(page, user, "ops")
        page.goto(f"{page.base}/ops/complaints/{c.pk}/")
        shot(page, f"complaint-12-ops-confirm-{user.username}")
        assert "确认后不能撤回" in confirm(page, f"button:has-text('以{role}身份确认处罚')")
    assert "转投诉处理中心终审" in page.content()
    assert Complaint.objects.get(pk=c.pk).status == Complaint.Status.FINAL_REVIEW


def test_suggestion_to_a_department_and_the_filers_view(page, shot, cast):
    from apps.complaints import services
    from apps.complaints.models import Complaint
    from apps.messaging.models import Message

    c = services.complaint_file(actor=cast.cm2, subject="建议增加夜间客服", content="希望晚上 9 点后也能联系到客服。",
                                contact_person="钱先生", contact_phone="13700002222", on_behalf_of_client=True)
    team = cast.cm.organization
    browser_login(page, cast.cc, "ops")
    page.goto(f"{page.base}/ops/complaints/{c.pk}/")
    page.check("#id_decision_0")  # 不属于投诉，按建议处理
    page.select_option("#id_forwarded_to", f"unit:{team.pk}")
    shot(page, "complaint-13-ops-suggestion-department")
    confirm(page, "button:has-text('提交审核结论')")
    assert f"已按建议处理并转交{team.name}" in page.content()
    assert Message.objects.filter(recipient=cast.cm, title__contains="客户建议").exists()

    switch(page, cast.cm, "ops")
    page.goto(f"{page.base}/ops/complaints/{c.pk}/")
    page.fill("#id_handling", "已排入二组晚班值守，21:00–23:00 有人接听。")
    shot(page, "complaint-14-ops-suggestion-handle")
    confirm(page, "[data-testid=suggestion-handled]")
    assert "已标记建议为已处理" in page.content()
    assert "晚班值守" in page.inner_text("[data-testid=forwarded]")
    shot(page, "complaint-15-ops-suggestion-handled")
    assert Complaint.objects.get(pk=c.pk).suggestion_handled_by_id == cast.cm.pk

    c2 = services.complaint_file(actor=cast.cm2, subject="客户经理未回电", content="客户反映客户经理三天未回电。",
                                 contact_person="孙女士", contact_phone="13700003333", on_behalf_of_client=True)
    services.screen(actor=cast.cc, complaint_id=c2.pk, decision="accepted", responsible_kind="cm",
                    responsible_user_id=cast.cm.pk)
    services.decide(actor=cast.tl, complaint_id=c2.pk, holds=True, decision="属实", penalty="扣减当月绩效")
    services.confirm_penalty(actor=cast.cm, complaint_id=c2.pk)
    services.confirm_penalty(actor=cast.tl, complaint_id=c2.pk)
    services.final_review(actor=cast.cc, complaint_id=c2.pk, reply="已向客户致歉，并指定专人跟进。")
    switch(page, cast.cm2, "ops")
    page.goto(f"{page.base}/ops/complaints/{c2.pk}/")
    handling = page.inner_text("[data-testid=handling]")
    assert "投诉成立" in handling and "已向客户致歉" in handling and "扣减当月绩效" not in page.content()
    shot(page, "complaint-16-ops-filer-view")
