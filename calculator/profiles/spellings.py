"""Common spellings of a choice and the catalogue value they mean: the short and the
official names of districts (园区, 虎丘区), the education and title names used on diplomas
and certificates (博士研究生, 教授, 高级工程师), and the usual words for a team role.

One table for every way facts arrive: ``values.convert`` applies it to spreadsheet cells,
the profile models to YAML, JSON and HTTP profiles. It maps field name -> written -> value.
The answers an interview understands beyond the fields' own (which kind of profile, a
word that ends it) are here too.
"""

from __future__ import annotations

ALIASES: dict[str, dict[str, str]] = {
    "district": {
        "园区": "苏州工业园区", "工业园区": "苏州工业园区", "苏州园区": "苏州工业园区",
        "虎丘区": "苏州高新区", "高新区": "苏州高新区", "苏州高新技术产业开发区": "苏州高新区",
        "苏州新区": "苏州高新区", "高新区（虎丘区）": "苏州高新区", "高新区(虎丘区)": "苏州高新区",
        "苏州工业园": "苏州工业园区", "姑苏": "姑苏区", "吴中": "吴中区", "相城": "相城区",
        "吴江": "吴江区", "张家港": "张家港市", "常熟": "常熟市", "太仓": "太仓市", "昆山": "昆山市",
    },
    "education": {
        "博士研究生": "博士", "博士学位": "博士", "博士研究生学历": "博士",
        "硕士研究生": "硕士", "硕士学位": "硕士", "硕士研究生学历": "硕士",
        "大学本科": "本科", "学士": "本科", "学士学位": "本科",
        "专科": "大专", "大学专科": "大专",
    },
    "title": {
        "正高": "正高级", "教授": "正高级", "研究员": "正高级", "正高级工程师": "正高级",
        "主任医师": "正高级",
        "副高": "副高级", "副教授": "副高级", "副研究员": "副高级", "高级工程师": "副高级",
        "副主任医师": "副高级",
        "中级职称": "中级", "讲师": "中级", "工程师": "中级", "助理研究员": "中级", "主治医师": "中级",
        "初级职称": "初级", "助理工程师": "初级", "助教": "初级",
        "无职称": "无",
    },
    "role": {
        "团队负责人": "团队带头人", "带头人": "团队带头人",
        "核心成员": "团队核心成员",
        "个人申报": "个人",
    },
}


def spelled(field: str, text: str) -> str:
    """The catalogue value a spelling of ``field`` means; other text as it is."""
    return ALIASES.get(field, {}).get(text.strip().replace(" ", ""), text)


#: How a person may say which kind of profile: a number from the menu, the kind, its name.
KIND_ANSWERS = {"1": "company", "2": "talent", "company": "company", "talent": "talent",
                "企业": "company", "机构": "company", "企业/机构": "company", "单位": "company",
                "人才": "talent", "个人": "talent"}
#: Answers that end an interview (compared in lower case).
STOP_WORDS = frozenset({"结束", "完成", "退出", "q", "quit", "exit"})


def kind_answer(text: str) -> str | None:
    """The profile kind (company or talent) an answer names; ``None`` for any other text."""
    return KIND_ANSWERS.get(text)


def ends_interview(text: str) -> bool:
    return text.lower() in STOP_WORDS
