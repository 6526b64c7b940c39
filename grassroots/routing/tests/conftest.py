from __future__ import annotations

import random

import pytest

from grassroots.routing.data import shared_data_dir
from grassroots.routing.model import RequestText

# A small bilingual synthetic history: four kinds of request, each phrased from its own vocabulary.
VOCABULARY = {
    "劳动和社会保障": {
        "subjects": ["工厂", "公司", "老板", "建筑工地", "the factory", "my employer"],
        "matters": [
            "拖欠工资三个月",
            "不交社保",
            "欠薪不还",
            "克扣加班费",
            "owes us three months of wages",
            "unpaid wages",
        ],
    },
    "城乡建设": {
        "subjects": ["小区门口", "人民路", "村里", "the street", "our road"],
        "matters": [
            "路灯坏了",
            "道路坑洼",
            "下水道堵塞",
            "路面塌陷",
            "has a broken streetlight",
            "pothole in the road",
        ],
    },
    "环境保护": {
        "subjects": ["广场", "附近工厂", "楼下餐馆", "the bar next door", "a plant nearby"],
        "matters": [
            "噪音扰民",
            "排放污水",
            "油烟污染",
            "深夜噪声",
            "loud noise at night",
            "dumps sewage in the river",
        ],
    },
    "教育文体": {
        "subjects": ["孩子", "学校", "幼儿园", "my son's school", "the kindergarten"],
        "matters": [
            "入学难",
            "乱收费补课",
            "老师体罚学生",
            "学位不足",
            "charges extra tuition fees",
            "refuses enrolment",
        ],
    },
}


def synthetic_history(per_label: int = 12, seed: int = 0) -> tuple[list[RequestText], list[str]]:
    rng = random.Random(seed)
    texts, labels = [], []
    for label, words in VOCABULARY.items():
        for _ in range(per_label):
            subject, matter = rng.choice(words["subjects"]), rng.choice(words["matters"])
            texts.append(
                RequestText(title=f"{subject}{matter}", body=f"反映：{subject}{matter}，请尽快处理。")
            )
            labels.append(label)
    return texts, labels


@pytest.fixture(scope="session")
def history() -> tuple[list[RequestText], list[str]]:
    return synthetic_history()


@pytest.fixture
def shared_routing_data():
    folder = shared_data_dir()
    if not folder.is_dir():
        pytest.skip(f"shared reference data not found at {folder} (the project reads it from ../shared)")
    return folder
