"""The zh-Hant catalogue reads as Taiwan writes: Taiwanese terms, full-width punctuation in Chinese
sentences, and a half-width space between Chinese and Latin letters or digits ("QR 碼", "共 3 張")."""

import ast
import re
from pathlib import Path

import pytest

CATALOGUE = Path(__file__).resolve().parents[2] / "locale" / "zh_Hant" / "LC_MESSAGES" / "django.po"
HAN = "[\u3400-\u9fff]"
# Mainland term (a regular expression) -> what Taiwan writes instead.
MAINLAND_TERMS = {
    "激活": "啟用",
    "信息": "資訊、訊息",
    "默認": "預設",
    "賬": "帳",
    "登錄|登陸": "登入",
    "用戶": "使用者",
    "網絡": "網路",
    "視頻": "影片",
    "打印": "列印",
    "二維碼|QR [Cc]ode": "QR 碼",
    "短信": "簡訊",
    "手機號(?!碼)": "手機號碼",
    "車牌號(?!碼)": "車牌號碼",
    "數據": "資料",
    "設置": "設定",
    "創建": "建立",
    "質量": "品質",
    "服務器": "伺服器",
    "菜單": "選單",
    "鏈接": "連結",
    "郵箱": "電子郵件信箱",
    "獲取": "取得",
    "刷新": "重新整理",
    "運行": "執行",
    "批量": "批次",
    "實時": "即時",
    "導出|導入": "匯出、匯入",
    "緩存": "快取",
    "接口": "介面",
    "字段": "欄位",
    "模板": "範本",
    "屏幕": "螢幕",
    "隊列": "佇列",
    "軟件|硬件": "軟體、硬體",
    "密鑰": "金鑰",
    "程序": "程式",
    "門店": "門市、服務廠",
    "在線": "線上",
}
# Characters that exist only in simplified Chinese.
SIMPLIFIED = set("们这时为后发会个来对说国车门号码电话务户账设认证验记录态单择选删请输员额启动关闭优")
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sd]|\{\w*\}")
PUNCTUATION_RULES = {
    "half-width , ; : ? ! next to Chinese (use ，；：？！)": re.compile(f"{HAN} ?[,;:?!]|[,;:?!] ?{HAN}"),
    "half-width ( ) next to or around Chinese (use （）)": re.compile(
        rf"{HAN} ?[()]|[()] ?{HAN}|\([^()]*{HAN}[^()]*\)"
    ),
    "half-width full stop after Chinese (use 。)": re.compile(f"{HAN}\\.(\\s|$)"),
    "a space next to full-width punctuation": re.compile(" [，：、；？！（）。「」]|[，：、；？！（。「] "),
    "Chinese glued to Latin letters or digits (put a half-width space between)": re.compile(
        f"{HAN}[A-Za-z0-9]|[A-Za-z0-9]{HAN}"
    ),
}


def _unquote(line: str) -> str:
    return ast.literal_eval(line[line.index('"') :])


def catalogue_messages(text: str) -> list[tuple[str, str]]:
    """(msgid, msgstr) for every entry; plural forms give one pair per msgstr[n]."""
    pairs, msgid, current, key = [], "", None, None
    for line in [*text.splitlines(), ""]:
        if line.startswith("msgid "):
            msgid, key = _unquote(line), "id"
        elif line.startswith(("msgstr", "msgid_plural", "msgctxt")):
            if current is not None:
                pairs.append((msgid, current))
            key = "str" if line.startswith("msgstr") else "other"
            current = _unquote(line) if key == "str" else None
        elif line.startswith('"') and key == "id":
            msgid += _unquote(line)
        elif line.startswith('"') and key == "str":
            current += _unquote(line)
        elif not line.strip() and current is not None:
            pairs.append((msgid, current))
            current, key = None, None
    return [(msgid, msgstr) for msgid, msgstr in pairs if msgid]


def wording_problems(msgstr: str) -> list[str]:
    problems = [
        f"{found!r}: Taiwan writes {MAINLAND_TERMS[term]}"
        for term in MAINLAND_TERMS
        for found in re.findall(term, msgstr)
    ]
    if SIMPLIFIED & set(msgstr):
        problems.append(f"simplified characters {sorted(SIMPLIFIED & set(msgstr))}")
    # A placeholder stands for a name or a number: "%(dealer)s今日" is right when the dealer's name
    # is Chinese, so placeholders are left out of the spacing and punctuation rules.
    text = PLACEHOLDER.sub("\x00", msgstr)
    problems += [rule for rule, pattern in PUNCTUATION_RULES.items() if pattern.search(text)]
    return problems


def test_the_catalogue_reads_as_taiwan_writes():
    messages = catalogue_messages(CATALOGUE.read_text(encoding="utf-8"))
    assert len(messages) > 1000
    found = [
        f"{msgid[:50]!r} -> {msgstr!r}: {problem}"
        for msgid, msgstr in messages
        for problem in wording_problems(msgstr)
    ]
    assert found == [], "\n".join(found)


@pytest.mark.parametrize(
    ("msgstr", "problem"),
    [
        ("票券已激活", "Taiwan writes 啟用"),
        ("請掃描 QR Code", "Taiwan writes QR 碼"),
        ("系統信息", "Taiwan writes 資訊"),
        ("默認值", "Taiwan writes 預設"),
        ("賬戶", "Taiwan writes 帳"),
        ("请输入", "simplified"),
        ("狀態:已使用", "half-width , ; : ? !"),
        ("您好,請稍候", "half-width , ; : ? !"),
        ("里程(公里)", "half-width ( )"),
        ("已完成.", "half-width full stop"),
        ("狀態 ：已使用", "a space next to"),
        ("共3張", "glued"),
        ("掃描QR 碼", "glued"),
    ],
)
def test_each_rule_finds_what_it_is_for(msgstr, problem):
    assert any(problem in found for found in wording_problems(msgstr))


@pytest.mark.parametrize(
    "msgstr",
    [
        "共 %(count)s 張票券",
        "%(tier)s以上會員",
        "QR 碼（ABC-1234）",
        "例如 1, 2, 'John'",
        "登入驗證碼為 %(code)s。",
    ],
)
def test_taiwanese_wording_passes(msgstr):
    assert wording_problems(msgstr) == []


def test_the_reader_joins_continued_lines_and_plurals():
    text = (
        'msgid ""\nmsgstr ""\n"Language: zh_Hant\\n"\n\n'
        'msgid "a"\nmsgstr ""\n"第一"\n"第二"\n\n'
        'msgid "one"\nmsgid_plural "many"\nmsgstr[0] "多個"\n'
    )
    assert catalogue_messages(text) == [("a", "第一第二"), ("one", "多個")]
