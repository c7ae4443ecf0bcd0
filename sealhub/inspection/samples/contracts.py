"""Real-looking contracts rendered with a CJK font, and their tampered variants.

Shared by the test corpus (`benchmarks/inspection.py`), the tests and the demo. Everything
is deterministic from a seed, so a failing case can be regenerated exactly.
"""

from __future__ import annotations

import dataclasses
import io
import random
from dataclasses import dataclass, field
from pathlib import Path

FONT_PATHS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),
)
FONT_NAME = "SealHubCJK"

PAGE_W, PAGE_H = 595.0, 842.0  # A4 in points
MARGIN = 60.0
LINE = 22.0
FONT_SIZE = 12.0
# where the seal is expected on every page: the lower band (盖章处 sits there on the last page)
SEAL_AREA = (0.45, 0.55, 0.98, 0.98)  # x0, y0, x1, y1 as fractions of the page, top-left origin

_COMPANIES = (
    "上海明远科技有限公司",
    "北京华信数据服务有限公司",
    "深圳市海川电子股份有限公司",
    "杭州青禾文化传媒有限公司",
    "广州南方物流集团有限公司",
    "成都天府软件有限公司",
    "苏州恒泰精密机械有限公司",
    "武汉长江建设工程有限公司",
)
_COMPANIES_EN = (
    "Mingyuan Technology Co., Ltd.",
    "Huaxin Data Services Co., Ltd.",
    "Haichuan Electronics Corp.",
    "Qinghe Media Co., Ltd.",
    "Nanfang Logistics Group",
    "Tianfu Software Co., Ltd.",
)
_GOODS = ("服务器设备", "软件开发服务", "办公家具", "年度运维服务", "广告投放服务", "物流运输服务")
_CLAUSES = (
    "乙方应按照本合同约定的时间、地点和质量标准交付货物或提供服务。",
    "甲方应在收到乙方开具的合法有效发票后十五个工作日内支付相应款项。",
    "任何一方违反本合同约定的，应向守约方支付合同总金额百分之十的违约金。",
    "双方对在履行本合同过程中知悉的对方商业秘密负有保密义务，保密期限为三年。",
    "因不可抗力导致本合同无法履行的，受影响一方应及时书面通知对方。",
    "本合同履行过程中发生争议的，双方应友好协商解决；协商不成的，提交甲方所在地人民法院诉讼解决。",
    "乙方保证所交付的货物不侵犯任何第三方的知识产权，否则由乙方承担全部责任。",
    "质保期自验收合格之日起计算，质保期内乙方负责免费维修或更换。",
    "本合同未尽事宜，双方可另行签订补充协议，补充协议与本合同具有同等法律效力。",
    "本合同自双方签字盖章之日起生效，一式两份，甲乙双方各执一份。",
    "甲方有权对乙方的履约情况进行检查，乙方应予以配合并提供必要的资料。",
    "乙方应指定专人负责本项目的联络和协调工作，人员变更应提前五日通知甲方。",
)
_CLAUSES_EN = (
    "The Supplier shall deliver the goods at the time and place agreed in this contract.",
    "The Buyer shall pay within fifteen working days after receiving a valid invoice.",
    "A party in breach shall pay liquidated damages of ten percent of the contract price.",
    "Each party shall keep the other party's business secrets confidential for three years.",
    "This contract takes effect on the date it is signed and sealed by both parties.",
    "Disputes shall be settled by negotiation, failing which by the court of the Buyer.",
)


@dataclass(frozen=True)
class ContractFacts:
    """The variable facts of one contract (a tamper changes one of them)."""

    number: str
    party_a: str
    party_b: str
    goods: str
    amount: int  # yuan
    signed_on: str  # 2026年03月15日
    deliver_on: str
    clauses: tuple[str, ...]
    english: bool = False


@dataclass
class Contract:
    facts: ContractFacts
    pages: list[list[str]] = field(default_factory=list)  # lines per page


def _date(rng: random.Random) -> str:
    return f"2026年{rng.randint(1, 12):02d}月{rng.randint(1, 28):02d}日"


def make_facts(seed: int, *, english: bool = False) -> ContractFacts:
    rng = random.Random(seed)  # noqa: S311 - reproducible samples, not secrets
    if english:
        a, b = rng.sample(_COMPANIES_EN, 2)
        clauses = tuple(rng.sample(_CLAUSES_EN, 5))
        goods = "software development services"
    else:
        a, b = rng.sample(_COMPANIES, 2)
        clauses = tuple(rng.sample(_CLAUSES, 9))
        goods = rng.choice(_GOODS)
    return ContractFacts(
        number=f"HT-2026-{rng.randint(1000, 9999)}",
        party_a=a,
        party_b=b,
        goods=goods,
        amount=rng.randrange(10_000, 990_000, 1_000),
        signed_on=_date(rng),
        deliver_on=_date(rng),
        clauses=clauses,
        english=english,
    )


def _money(n: int) -> str:
    return f"{n:,}"


def layout(facts: ContractFacts) -> Contract:
    """The lines of each page of a 3-page contract."""
    if facts.english:
        return _layout_en(facts)
    c = facts.clauses
    p1 = [
        f"采购合同（编号：{facts.number}）",
        "",
        f"甲方（采购方）：{facts.party_a}",
        f"乙方（供应方）：{facts.party_b}",
        f"签订日期：{facts.signed_on}",
        "",
        "根据《中华人民共和国民法典》及相关法律法规，甲乙双方",
        "在平等自愿的基础上，经友好协商，达成如下协议：",
        "",
        f"第一条 合同标的：乙方向甲方提供{facts.goods}。",
        f"第二条 合同金额：人民币{_money(facts.amount)}元整（含税）。",
        f"第三条 交付日期：乙方应于{facts.deliver_on}前完成交付。",
    ]
    p2 = ["第四条 双方权利义务", ""]
    for i, clause in enumerate(c[:5], start=1):
        p2.extend(_wrap(f"{i}. {clause}", 34))
    p3 = ["第五条 其他约定", ""]
    for i, clause in enumerate(c[5:], start=1):
        p3.extend(_wrap(f"{i}. {clause}", 34))
    p3 += [
        "",
        f"甲方：{facts.party_a}",
        f"乙方：{facts.party_b}",
        f"合同金额：人民币{_money(facts.amount)}元",
        "盖章处：",
    ]
    return Contract(facts, [p1, p2, p3])


def _layout_en(facts: ContractFacts) -> Contract:
    c = facts.clauses
    p1 = [
        f"SERVICE CONTRACT No. {facts.number}",
        "",
        f"Party A (Buyer): {facts.party_a}",
        f"Party B (Supplier): {facts.party_b}",
        f"Date: {facts.signed_on}",
        "",
        f"Article 1. Subject: Party B provides {facts.goods}.",
        f"Article 2. Price: RMB {_money(facts.amount)} including tax.",
        f"Article 3. Delivery before {facts.deliver_on}.",
    ]
    p2 = ["Article 4. Obligations", ""]
    for i, clause in enumerate(c[:3], start=1):
        p2.extend(_wrap(f"{i}. {clause}", 70))
    p3 = ["Article 5. Other terms", ""]
    for i, clause in enumerate(c[3:], start=1):
        p3.extend(_wrap(f"{i}. {clause}", 70))
    p3 += ["", f"Party A: {facts.party_a}", f"Party B: {facts.party_b}", "Seal here:"]
    return Contract(facts, [p1, p2, p3])


def _wrap(text: str, width: int) -> list[str]:
    if text.isascii():
        words, lines, cur = text.split(), [], ""
        for w in words:
            if len(cur) + len(w) + 1 > width and cur:
                lines.append(cur)
                cur = w
            else:
                cur = f"{cur} {w}".strip()
        return [*lines, cur] if cur else lines
    return [text[i : i + width] for i in range(0, len(text), width)]


# ---- tampering: the facts change, the layout follows ----

TAMPER_KINDS = ("amount", "name", "date", "clause_deleted", "swapped", "blank", "stamped_twice")


def tamper_amount(facts: ContractFacts, rng: random.Random) -> ContractFacts:
    """Change at least two digits of the amount (100,000 -> 900,000 style and more)."""
    digits = list(str(facts.amount))
    positions = rng.sample(range(len(digits) - 3), min(2, len(digits) - 3))
    for p in positions:
        new = (int(digits[p]) + rng.randint(1, 9)) % 10
        digits[p] = str(new if new or p else 9)  # changed, and no leading zero
    amount = int("".join(digits))
    return dataclasses.replace(facts, amount=amount)


def tamper_name(facts: ContractFacts, rng: random.Random) -> ContractFacts:
    pool = _COMPANIES_EN if facts.english else _COMPANIES
    other = rng.choice([c for c in pool if c not in (facts.party_a, facts.party_b)])
    return dataclasses.replace(facts, party_a=other)


def tamper_date(facts: ContractFacts, rng: random.Random) -> ContractFacts:
    d = facts.signed_on
    month = int(d[5:7])
    new_month = (month + rng.randint(2, 9)) % 12 + 1
    day = int(d[8:10])
    new_day = (day + rng.randint(3, 20)) % 28 + 1
    return dataclasses.replace(facts, signed_on=f"2026年{new_month:02d}月{new_day:02d}日")


def delete_clause(contract: Contract, page: int, rng: random.Random) -> Contract:
    """The page with one numbered clause (all its lines) removed."""
    lines = contract.pages[page]
    starts = [i for i, line in enumerate(lines) if line[:2].rstrip(".").isdigit()]
    if not starts:
        return contract
    start = rng.choice(starts)
    end = start + 1
    while end < len(lines) and lines[end] and not lines[end][:2].rstrip(".").isdigit():
        end += 1
    pages = [list(p) for p in contract.pages]
    pages[page] = lines[:start] + lines[end:]
    return Contract(contract.facts, pages)


# ---- rendering ----


def _font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        path = next((p for p in FONT_PATHS if p.exists()), None)
        if path is None:
            raise RuntimeError("no CJK font: install fonts-wqy-zenhei")
        pdfmetrics.registerFont(TTFont(FONT_NAME, str(path), subfontIndex=0))
    return FONT_NAME


def render_pdf(pages: list[list[str]]) -> bytes:
    """A PDF with a real (embedded, searchable) CJK text layer."""
    from reportlab.pdfgen import canvas

    font = _font()
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=(PAGE_W, PAGE_H), invariant=True)
    for lines in pages:
        y = PAGE_H - MARGIN - FONT_SIZE
        for i, line in enumerate(lines):
            size = FONT_SIZE + (4 if i == 0 else 0)
            pdf.setFont(font, size)
            if line:
                pdf.drawString(MARGIN, y, line)
            y -= LINE + (8 if i == 0 else 0)
        pdf.showPage()
    pdf.save()
    return buf.getvalue()


def contract_pdf(seed: int, *, english: bool = False) -> tuple[Contract, bytes]:
    contract = layout(make_facts(seed, english=english))
    return contract, render_pdf(contract.pages)
