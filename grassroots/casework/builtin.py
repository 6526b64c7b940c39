"""Built-in defaults for an installation without the shared reference data.

``BUILTIN_CATALOGUE`` is a small three-level category tree written for the project (not a copy of any
published catalogue). Its first level keeps the seven department names the routing sample is labelled
with, so requests routed by a model trained on that sample still land on a first-level category, plus a few
more fields grassroots offices handle. ``builtin_request_texts`` and ``builtin_dispute_texts`` compose
request and dispute texts from templates with a seeded random generator (the same seed gives the same
texts); the demo uses them when the shared messages are not there. They read plausibly but carry no real
person's words.
"""

from __future__ import annotations

import random

from grassroots.routing.data import CategoryNode

BUILTIN_SOURCE = "built-in catalogue"

# 一级 → 二级 → 三级
BUILTIN_CATALOGUE: dict[str, dict[str, list[str]]] = {
    "城乡建设": {
        "市政设施": ["道路破损", "路灯不亮", "井盖缺失", "排水不畅"],
        "住房保障": ["公租房申请", "棚户区改造", "危房鉴定"],
        "物业管理": ["物业服务质量", "维修资金使用", "电梯故障"],
        "违章建筑": ["私搭乱建", "占用公共通道"],
    },
    "环境保护": {
        "大气污染": ["工地扬尘", "餐饮油烟", "露天焚烧"],
        "水污染": ["河道污染", "污水直排"],
        "噪声扰民": ["夜间施工噪声", "商铺外放音响", "工业噪声"],
        "垃圾处理": ["垃圾清运不及时", "垃圾分类"],
    },
    "交通运输": {
        "公共交通": ["公交线路调整", "公交站点设置", "出租车服务"],
        "道路交通": ["乱停乱放", "交通信号设置", "农村公路养护"],
        "运输管理": ["非法营运", "货车超载"],
    },
    "教育文体": {
        "学前教育": ["入园难", "幼儿园收费"],
        "义务教育": ["入学划片", "校车安全", "课后服务"],
        "文化体育": ["健身设施", "文化活动场所", "广场舞扰民"],
    },
    "劳动和社会保障": {
        "工资报酬": ["拖欠工资", "加班工资", "最低工资标准"],
        "社会保险": ["养老保险缴费", "医疗保险报销", "失业保险金"],
        "劳动关系": ["劳动合同签订", "工伤认定", "辞退补偿"],
        "就业服务": ["就业培训", "创业补贴"],
    },
    "商贸旅游": {
        "市场监管": ["价格欺诈", "缺斤短两", "无证经营"],
        "消费维权": ["预付卡退费", "商品质量问题", "网购纠纷"],
        "旅游服务": ["景区管理", "导游服务", "强制购物"],
    },
    "卫生计生": {
        "医疗服务": ["看病排队", "医疗收费", "医务人员态度"],
        "公共卫生": ["疫苗接种", "食品卫生", "病媒防治"],
        "计划生育": ["生育登记", "独生子女奖励"],
    },
    "民政": {
        "社会救助": ["低保申请", "特困供养", "临时救助"],
        "养老服务": ["养老机构", "高龄津贴", "居家养老"],
        "婚姻殡葬": ["婚姻登记", "殡葬服务"],
    },
    "农村农业": {
        "惠农补贴": ["种粮补贴发放", "农机购置补贴"],
        "土地承包": ["承包地调整", "土地流转"],
        "农村基础设施": ["农田水利", "村道硬化", "饮水安全"],
    },
    "政法": {
        "治安管理": ["治安隐患", "电信诈骗", "赌博"],
        "矛盾调解": ["邻里矛盾", "家庭矛盾"],
        "法律服务": ["法律援助", "公证办理"],
    },
}


def builtin_category_tree() -> CategoryNode:
    """``BUILTIN_CATALOGUE`` as a tree under an unnamed root (the shape the catalogue loader takes)."""
    root = CategoryNode("")
    for first, seconds in BUILTIN_CATALOGUE.items():
        node = root.child(first)
        for second, thirds in seconds.items():
            branch = node.child(second)
            for third in thirds:
                branch.child(third)
    return root


PLACES = ["小区门口", "村委会旁", "学校附近", "菜市场一带", "主干道路口", "河边", "老街", "新村安置区"]
SPANS = ["最近一个月", "这半年来", "近几天", "从去年开始", "每到周末", "每天晚上"]
ASKS = [
    "希望有关部门尽快处理。",
    "请相关单位派人来看看。",
    "恳请领导重视，早日解决。",
    "请问应该找哪个部门？",
    "希望给个答复。",
]

# Per first-level category: (title, body) templates; {leaf} is a third-level name of that category.
REQUEST_TEMPLATES: dict[str, list[tuple[str, str]]] = {
    "城乡建设": [
        ("{place}{leaf}问题", "{span}，{place}{leaf}的情况一直没有改善，居民出行很不方便。{ask}"),
        ("反映{leaf}", "我们这里{leaf}，多次向物业和社区反映都没有结果，{span}越来越严重。{ask}"),
    ],
    "环境保护": [
        ("{place}{leaf}严重", "{span}，{place}{leaf}，气味和声音影响周边居民休息和健康。{ask}"),
        ("投诉{leaf}", "本人住在{place}，{span}经常出现{leaf}的情况，已经拍了照片留存。{ask}"),
    ],
    "交通运输": [
        ("{place}{leaf}", "{span}{place}{leaf}，上下班高峰特别拥堵，老人孩子过马路很危险。{ask}"),
        ("建议改善{leaf}", "关于{leaf}，{place}的居民意见很大，{span}反映过几次。{ask}"),
    ],
    "教育文体": [
        ("咨询{leaf}", "孩子今年要上学，想了解{leaf}的具体政策，{place}这边的家长都很关心。{ask}"),
        ("{leaf}的问题", "{span}，{place}的{leaf}存在问题，家长们多次沟通没有结果。{ask}"),
    ],
    "劳动和社会保障": [
        ("{leaf}问题求助", "本人在{place}一家企业打工，{span}遇到{leaf}的问题，和老板协商不成。{ask}"),
        ("咨询{leaf}", "想咨询一下{leaf}需要准备哪些材料、到哪里办理，{span}跑了几趟都没办成。{ask}"),
    ],
    "商贸旅游": [
        ("举报{leaf}", "{span}在{place}的商户处消费，遇到{leaf}，商家拒绝处理。{ask}"),
        ("{leaf}投诉", "我在{place}遇到了{leaf}的问题，已保留小票和聊天记录。{ask}"),
    ],
    "卫生计生": [
        ("{leaf}的意见", "{span}到{place}的卫生院办事，{leaf}方面让人不满意。{ask}"),
        ("咨询{leaf}", "家里老人孩子需要办理{leaf}相关事项，不清楚流程。{ask}"),
    ],
    "民政": [
        ("申请{leaf}", "家里生活困难，{span}收入很少，想申请{leaf}，不知道条件和流程。{ask}"),
        ("{leaf}的问题", "{place}的老人反映{leaf}方面有困难，{span}没有人过问。{ask}"),
    ],
    "农村农业": [
        ("{leaf}没有落实", "我们村{span}的{leaf}一直没有落实到户，村民有意见。{ask}"),
        ("反映{leaf}", "{place}的{leaf}问题影响今年的农业生产，{span}多次找村里没有解决。{ask}"),
    ],
    "政法": [
        ("{place}{leaf}", "{span}，{place}存在{leaf}的情况，群众有安全顾虑。{ask}"),
        ("求助{leaf}", "遇到{leaf}方面的事情，想请有关部门帮忙。{ask}"),
    ],
}

# Per dispute type name (the built-in dispute types): body templates.
DISPUTE_TEMPLATES: dict[str, list[str]] = {
    "婚姻家庭": [
        "夫妻{span}经常吵架，现在一方要求离婚，孩子抚养和财产分割谈不拢，请求调解。",
        "老人赡养问题，几个子女互相推诿，{span}老人无人照顾，请求村里调解。",
    ],
    "邻里纠纷": [
        "邻居在{place}堆放杂物，堵住了我家通道，{span}多次沟通无果，双方发生争执。",
        "楼上邻居家漏水把我家天花板泡坏了，对方不愿赔偿维修费用，请求调解。",
    ],
    "土地纠纷": [
        "两家承包地的地界有争议，{span}对方在界上种树，双方互不相让，请求调解。",
        "宅基地边界和邻居说不清楚，对方盖房占了我家的地，请求处理。",
    ],
    "劳动纠纷": [
        "在{place}的工地干活，{span}的工资包工头一直拖着不给，共有十几个工友，请求帮助。",
        "干活时受伤，老板只付了一部分医药费，后续费用不管，请求调解。",
    ],
    "交通事故": [
        "在{place}发生交通事故，交警已出认定书，双方对赔偿金额分歧很大，请求调解。",
    ],
    "债权债务": [
        "借给亲戚一笔钱，有借条，{span}对方一直拖着不还，请求调解。",
    ],
    "合同纠纷": [
        "请人装修房子，合同约定的工期已过，质量也有问题，对方要求付清尾款，请求调解。",
    ],
    "房产纠纷": [
        "买的二手房过户后发现漏水，卖方不承认，双方对维修责任有争议，请求调解。",
    ],
    "物业纠纷": [
        "{place}的物业服务差，业主不愿交物业费，物业公司停水停电，请求调解。",
    ],
    "人身损害": [
        "孩子在{place}玩耍时被对方家的狗咬伤，医药费和误工费协商不成，请求调解。",
    ],
    "消费权益": [
        "在{place}办了健身卡，店铺突然关门，剩余费用退不回来，多人受损，请求处理。",
    ],
    "拆迁安置": [
        "旧房改造的补偿标准和邻居家不一样，{span}找了几次没有说法，请求调解。",
    ],
}


def builtin_request_texts(rng: random.Random, per_category: int = 40) -> list[tuple[str, str, str]]:
    """``(title, body, first-level category name)`` composed from the templates."""
    texts = []
    for first, templates in REQUEST_TEMPLATES.items():
        leaves = [leaf for thirds in BUILTIN_CATALOGUE[first].values() for leaf in thirds]
        for _ in range(per_category):
            title, body = rng.choice(templates)
            slots = {
                "leaf": rng.choice(leaves),
                "place": rng.choice(PLACES),
                "span": rng.choice(SPANS),
                "ask": rng.choice(ASKS),
            }
            texts.append((title.format(**slots), body.format(**slots), first))
    return texts


def builtin_dispute_texts(rng: random.Random, per_type: int = 12) -> list[tuple[str, str]]:
    """``(body, dispute type name)`` composed from the templates."""
    texts = []
    for type_name, templates in DISPUTE_TEMPLATES.items():
        for _ in range(per_type):
            slots = {"place": rng.choice(PLACES), "span": rng.choice(SPANS)}
            texts.append((rng.choice(templates).format(**slots), type_name))
    return texts
