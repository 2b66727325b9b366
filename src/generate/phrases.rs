//! Phrase banks the sample text is built from. Written for the generator alone: the
//! classifier's lexicons and the risk weights are never read here, so a model measured
//! on this text is not measured on its own word lists.
//!
//! Templates use `{slot}` for names and numbers and `{a|b|c}` for free variation.

/// One kind of matter people write about.
#[derive(Debug)]
pub struct Topic {
    /// Truth label: the focus topic.
    pub focus: &'static str,
    /// Truth label: the finer matter.
    pub sub: &'static str,
    /// 内容分类 as petition systems export it (national first level / second level).
    pub category: &'static str,
    /// 一级分类 of the older taxonomy that message boards use.
    pub legacy: &'static str,
    /// 责任单位 that usually handles it.
    pub dept: &'static str,
    pub titles: &'static [&'static str],
    pub bodies: &'static [&'static str],
}

pub const OPENINGS_RESIDENT: &[&str] = &[
    "我是{town}{village}村民，",
    "本人系{town}{village}村民，",
    "我们是{town}{village}的村民，",
    "",
    "尊敬的领导：您好！",
    "县领导您好，",
    "反映人住{town}{road}，",
];

pub const DEMANDS: &[&str] = &[
    "恳请领导高度重视，尽快解决。",
    "希望有关部门尽快调查处理，给我们一个说法。",
    "请求政府督促落实，维护我们的合法权益。",
    "望相关部门予以核实并依法处理。",
    "希望政府出面协调解决。",
    "多次反映无果，恳请领导过问。",
    "请尽快给予答复。",
    "盼早日解决，谢谢！",
];

/// Sentences people add when they are running out of patience: the escalation language
/// a risk model must notice.
pub const THREATS: &[&str] = &[
    "如果再不解决，我们就集体去北京上访。",
    "再拖下去，大家准备到省里去讨说法。",
    "逼急了我们只能去堵路拉横幅。",
    "已经有人说要从楼顶跳下去，出了事谁负责？",
    "我们准备联系媒体曝光此事。",
    "下周一我们将组织{n}多人到县政府门口讨说法。",
];

/// Sentences that mention the same words but are not threats (negated or reported).
pub const NOT_THREATS: &[&str] = &[
    "我们不会去北京闹事，只希望依法解决。",
    "听说隔壁小区有人去省里反映过，我们还是相信县里。",
    "我们理性维权，不会堵路。",
];

pub const INCIDENT_TOPICS: &[Topic] = &[
    Topic {
        focus: "房地产",
        sub: "逾期交房",
        category: "城乡建设/住房保障与房地产",
        legacy: "城乡建设",
        dept: "县住建局",
        titles: &[
            "{estate}逾期交房问题",
            "关于{estate}延期交付的投诉",
            "{dev}开发的{estate}至今无法交房",
            "{estate}业主要求按期交房",
            "{estate}烂尾多年何时复工",
        ],
        bodies: &[
            "我们是{estate}的业主，{dev}合同约定{year}年{month}月交房，现已逾期{months}个月，工地{已经停工|基本停工|只有几个工人}，{n}多户业主{每月还着房贷|还在外租房住}。",
            "{estate}{项目|楼盘}由{dev}开发，购房合同写明{year}年{month}月底前交付，到现在{months}个月过去了还没有动静，开发商一直拖着不给说法，也不支付违约金。",
            "{dev}在{town}开发的{estate}{3|5|7|9}号楼至今停工，开发商资金链断裂，{n}多户业主首付和贷款都交了，房子却成了烂尾楼。",
            "我们上百户业主购买了{estate}的商品房，交房日期一拖再拖，售楼部已经人去楼空，多次到住建局反映都没有结果。",
        ],
    },
    Topic {
        focus: "欠薪",
        sub: "农民工工资",
        category: "劳动和社会保障/工资福利",
        legacy: "劳动和社会保障",
        dept: "县人社局",
        titles: &[
            "{contractor}拖欠农民工工资",
            "讨要{project}工资",
            "{project}拖欠{n}多名工人工资",
            "年底了工资还没有着落",
            "请求帮助追讨被拖欠的工钱",
        ],
        bodies: &[
            "我们{n}多名农民工在{contractor}承建的{project}干活，{year}年的工钱共计{amount}万元至今没有结清，包工头说上面没拨款。",
            "本人在{project}做{泥工|钢筋工|木工|杂工}，{contractor}拖欠我和工友{months}个月工资，马上过年了，家里老小等着钱用。",
            "{contractor}在{project}施工期间拖欠我们班组工资{amount}万元，去{town}政府和劳动监察大队找过几次，都说在协调。",
            "快过年了，{project}的{n}多个工人还拿不到血汗钱，{contractor}的老板电话打不通，我们只能找政府。",
        ],
    },
    Topic {
        focus: "非法集资",
        sub: "集资诈骗",
        category: "经济管理/金融",
        legacy: "商贸旅游",
        dept: "县地方金融服务中心",
        titles: &[
            "{platform}非法集资无法兑付",
            "{platform}暴雷投资人血本无归",
            "请求追回{platform}投资款",
            "举报{platform}集资诈骗",
        ],
        bodies: &[
            "{year}年我在{platform}投了{amount}万元，说好年息{12|15|18}%，现在平台关门，负责人跑路，县里{n}多名投资人都被骗了。",
            "{platform}以高息理财为名在{town}一带吸收老百姓存款，很多是老年人的养老钱，现在无法兑付，请公安机关立案追赃。",
            "我们是{platform}的受害者，共有{n}多人，涉及金额上千万元，平台门店已经关闭，工作人员联系不上。",
            "家里的积蓄{amount}万元全部投在{platform}，现在拿不回来，孩子上学的钱都没有了，请政府帮我们追回血汗钱。",
        ],
    },
    Topic {
        focus: "征地拆迁",
        sub: "征地补偿",
        category: "自然资源/土地征收",
        legacy: "城乡建设",
        dept: "县自然资源局",
        titles: &[
            "{village}征地补偿款未到位",
            "{town}{village}土地征收补偿标准过低",
            "反映{village}强拆问题",
            "{village}村民要求公开征地补偿",
        ],
        bodies: &[
            "{town}{village}因{project}建设被征收耕地{n}多亩，补偿款迟迟不发放到户，村干部也不公开补偿标准。",
            "我家的房屋在{village}征收范围内，补偿标准比邻村低很多，没有达成协议就被{强行拆除|断水断电}，请求依法处理。",
            "{village}村集体土地被征收用于{project}，征地补偿款{amount}万元去向不明，村民多次要求公开账目未果。",
            "{town}政府在{village}征地时没有依法公告，补偿安置不到位，{n}多户村民的生活没有着落。",
        ],
    },
    Topic {
        focus: "退役军人",
        sub: "待遇落实",
        category: "军队事务/退役士兵安置",
        legacy: "劳动和社会保障",
        dept: "县退役军人事务局",
        titles: &["退役军人待遇落实问题", "要求落实参战退役人员补助", "退役士兵安置问题", "关于老兵生活补助的诉求"],
        bodies: &[
            "我们是{year}年前后入伍的退役士兵，共{n}多人，按照政策应享受的{生活补助|社保补缴|安置待遇}至今没有落实。",
            "本人{year}年退伍回到{town}，当年承诺的工作安置一直没有兑现，现在年纪大了生活困难，希望落实相关政策。",
            "县里{n}多名参战退役人员的定期生活补助标准与邻县差距较大，多次向有关部门反映未得到答复。",
        ],
    },
    Topic {
        focus: "生态环境",
        sub: "企业污染",
        category: "生态环境/环境污染与生态破坏",
        legacy: "环境保护",
        dept: "县生态环境分局",
        titles: &["{plant}排放污水", "{plant}气味刺鼻影响生活", "举报{plant}偷排", "{town}{plant}污染问题严重"],
        bodies: &[
            "{town}的{plant}长期{夜间偷排污水|排放刺鼻气体|粉尘超标}，附近{village}的村民{头晕恶心|庄稼减产|井水发黄}，{n}多户深受其害。",
            "{plant}的废水直接排进河里，河水发黑发臭，鱼都死了，我们向环保部门举报过多次，只是停几天又开始。",
            "我们住在{plant}附近，每天晚上都闻到很重的臭味，孩子老人咳嗽不止，要求关停整改。",
        ],
    },
];

pub const BACKGROUND_TOPICS: &[Topic] = &[
    Topic {
        focus: "房地产",
        sub: "物业",
        category: "城乡建设/住房保障与房地产",
        legacy: "城乡建设",
        dept: "县住建局",
        titles: &["{estate}物业管理混乱", "投诉{firm}乱收费", "{estate}电梯经常故障", "小区物业不作为"],
        bodies: &[
            "{estate}的{firm}收了物业费却不干事，{电梯经常困人|垃圾堆了几天没人清|地下车库漏水|小区路灯坏了半年}，业主多次投诉没有效果。",
            "{firm}今年突然把物业费从每平米{1.2|1.5|1.8}元涨到{2.0|2.5|2.8}元，没有经过业主大会同意。",
            "我住{estate}，{楼上装修噪音|楼道堆放杂物|停车位被占}的问题找物业好多次了都不处理。",
        ],
    },
    Topic {
        focus: "房地产",
        sub: "办证难",
        category: "自然资源/不动产登记",
        legacy: "城乡建设",
        dept: "县自然资源局",
        titles: &["{estate}交房多年办不了不动产证", "房产证为什么迟迟办不下来", "请求解决{estate}办证问题"],
        bodies: &[
            "我们{estate}交房已经{3|4|5|6}年了，{dev}一直不给办理不动产权证，孩子上学落户都受影响。",
            "在{estate}买的房子，开发商说土地出让金没交清所以办不了证，我们业主有什么办法？",
        ],
    },
    Topic {
        focus: "教育",
        sub: "入学",
        category: "教育/教育行政管理",
        legacy: "教育文体",
        dept: "县教育局",
        titles: &["孩子入学难问题", "{school}学位分配不公", "咨询{school}招生划片", "{school}乱收费"],
        bodies: &[
            "我家孩子今年{上一年级|读初一}，户口在{town}，按划片应该读{school}，但学校说学位已满，让我们去很远的学校。",
            "{school}要求家长{统一购买教辅资料|交补课费|交校服费三百多元}，这个合不合规定？",
            "{school}的老师{体罚学生|在校外有偿补课|频繁更换}，家长意见很大。",
        ],
    },
    Topic {
        focus: "医疗",
        sub: "医疗纠纷",
        category: "卫生健康/医患纠纷",
        legacy: "卫生计生",
        dept: "县卫健局",
        titles: &["{hospital}医疗事故投诉", "对{hospital}诊疗过程有异议", "{hospital}乱收费"],
        bodies: &[
            "我{父亲|母亲|爱人}在{hospital}做{手术|检查|治疗}后出现严重并发症，医院推卸责任，要求鉴定并赔偿。",
            "{hospital}住院{n}天花了{amount}万元，清单里很多项目没有做过，怀疑重复收费。",
            "在{hospital}看病排队几个小时，医生态度恶劣，希望整改。",
        ],
    },
    Topic {
        focus: "社会保障",
        sub: "社保",
        category: "劳动和社会保障/城乡居民社会保险",
        legacy: "劳动和社会保障",
        dept: "县医保局",
        titles: &["养老保险待遇咨询", "医保报销比例问题", "企业未缴社保", "咨询灵活就业社保缴费"],
        bodies: &[
            "我在{contractor}上班{3|5|8}年，公司一直没有给我缴纳社保，现在要退休了怎么办？",
            "请问异地就医的医保报销比例是多少，为什么我在市里住院只报了一半？",
            "本人今年满60岁，城乡居民养老保险每月只有一百多元，能不能提高？",
        ],
    },
    Topic {
        focus: "村务",
        sub: "村务公开",
        category: "农村农业/村务管理",
        legacy: "城乡建设",
        dept: "{town}人民政府",
        titles: &["{village}村务不公开", "举报{village}村干部", "{village}低保评定不公"],
        bodies: &[
            "{village}的村干部{优亲厚友评低保|侵占集体收入|账目多年不公开}，村民意见很大，请上级调查。",
            "{village}修路的集体资金{amount}万元去向不明，村民要求公开财务。",
        ],
    },
    Topic {
        focus: "涉法涉诉",
        sub: "执行难",
        category: "政法/生效法律文书执行",
        legacy: "城乡建设",
        dept: "县法院",
        titles: &["判决书生效多年得不到执行", "对法院判决不服", "申请执行款迟迟不到位"],
        bodies: &[
            "我与{contractor}的纠纷，法院{year}年就判了，对方应付我{amount}万元，到现在一分钱没执行到。",
            "我的案子{一审|二审}判得不公，证据没有被采纳，请求重新审查。",
        ],
    },
    Topic {
        focus: "生态环境",
        sub: "噪音扰民",
        category: "生态环境/环境污染与生态破坏",
        legacy: "环境保护",
        dept: "县生态环境分局",
        titles: &["{road}夜间施工噪音扰民", "广场舞噪音太大", "{road}烧烤店油烟噪音"],
        bodies: &[
            "{road}的工地每天晚上施工到凌晨{1|2|3}点，噪音太大根本没法睡觉。",
            "{estate}旁边的广场舞音响开得很大，每天晚上吵到十点多，老人孩子休息不好。",
            "{road}的烧烤店油烟直排，晚上还很吵，多次投诉没效果。",
        ],
    },
    Topic {
        focus: "其他",
        sub: "道路交通",
        category: "交通运输/建设管理",
        legacy: "交通运输",
        dept: "县交通运输局",
        titles: &["{road}路面破损", "{village}通村公路何时修", "公交线路调整建议", "{road}红绿灯设置不合理"],
        bodies: &[
            "{road}{靠近{school}的路段|十字路口附近}坑洼不平，下雨天积水很深，已经有人摔倒。",
            "{town}{village}到镇上的路一直是泥巴路，孩子上学很不方便，希望硬化。",
            "建议增开{town}到县城的公交班次，早晚高峰太挤了。",
        ],
    },
    Topic {
        focus: "欠薪",
        sub: "个人欠薪",
        category: "劳动和社会保障/劳动关系",
        legacy: "劳动和社会保障",
        dept: "县人社局",
        titles: &["公司拖欠工资", "离职后工资不结", "讨要加班费"],
        bodies: &[
            "我在{town}一家{饭店|超市|厂里}上班，老板拖欠我{2|3|4}个月工资共{amount}千元，一直推说没钱。",
            "我从{contractor}离职两个月了，最后一个月工资和押金都没有退给我。",
        ],
    },
    Topic {
        focus: "其他",
        sub: "政策咨询",
        category: "民政与应急/社会救助",
        legacy: "商贸旅游",
        dept: "县民政局",
        titles: &["咨询低保申请条件", "咨询办理营业执照", "关于{town}菜市场管理的建议"],
        bodies: &[
            "请问申请低保需要哪些材料，在哪里办理？",
            "我想在{road}开一家小店，办营业执照需要准备什么？",
            "{town}菜市场周边占道经营严重，建议规范管理。",
        ],
    },
];

/// Ordinary typing slips seen in real exports (correct, slip).
pub const TYPOS: &[(&str, &str)] = &[
    ("已经", "己经"),
    ("反映", "反应"),
    ("工资", "工姿"),
    ("账目", "帐目"),
    ("的", "得"),
    ("再", "在"),
    ("希望", "希往"),
    ("解决", "解绝"),
];

/// A few simplified → traditional swaps (people typing on phones set to traditional).
pub const TRADITIONAL: &[(char, char)] = &[
    ('问', '問'),
    ('题', '題'),
    ('们', '們'),
    ('这', '這'),
    ('发', '發'),
    ('钱', '錢'),
    ('说', '說'),
    ('还', '還'),
    ('请', '請'),
    ('县', '縣'),
];
