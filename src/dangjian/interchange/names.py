"""Name material for the synthetic dataset: people, departments, offices, titles.

Written for this project; plain lists so the generator can draw from them with its
own seeded random source.
"""


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Common surnames, roughly the more frequent first (the generator weights by position).
SURNAMES = _words(
    "王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 高 林 罗 郑 梁 谢 宋 唐 许 韩 冯 邓 曹"
    " 彭 曾 肖 田 董 袁 潘 于 蒋 蔡 余 杜 叶 程 苏 魏 吕 丁 任 沈 姚 卢 姜 崔 钟 谭 陆 汪 范 金"
    " 石 廖 贾 夏 韦 付 方 白 邹 孟 熊 秦 邱 江 尹 薛 闫 段 雷 侯 龙 史 陶 黎 贺 顾 毛 郝 龚 邵"
    " 万 钱 严 覃 武 戴 莫 孔 向 汤 常 温 康 施 文 牛 樊 葛 邢 安 齐 易 乔 伍 庞 颜 倪 庄 聂 章"
    " 鲁 岳 翟 殷 詹 申 欧阳 耿 关 兰 焦 俞 左 柳 甘 祝 包 宁 尚 符 舒 阮 柯 纪 梅 童 凌 毕 单"
    " 季 裴 霍 涂 成 苗 谷 盛 曲 翁 冉 骆 蓝 路 游 辛 靳 管 柴 蒙 鲍 华 喻 祁 蒲 房 滕 屈 饶 解"
    " 牟 艾 尤 阳 时 穆 农 司 卓 古 吉 缪 简 车 项 连 芦 麦 褚 娄 窦 戚 岑 景 党 宫 费 卜 冷 晏"
    " 司马 诸葛 上官"
)

# Characters used in given names, split loosely by the feel they usually carry.
GIVEN_MALE = _words(
    "伟 强 磊 军 勇 杰 涛 斌 超 明 刚 平 辉 鹏 华 飞 鑫 波 宇 浩 凯 健 俊 帆 帅 旭 宁 龙 林 洋"
    " 峰 建 国 志 文 东 海 振 成 庆 春 新 兵 永 德 忠 胜 云 祥 彬 晨 博 航 锋 睿 哲 然 昊 泽 轩"
    " 翔 毅 亮 坤 良 炜 松 栋 立 坚 伦 晓 岩 钢 铭 瑞 卫 江 山 冬 阳 光 达 恒 振 耀 家 正 清"
)
GIVEN_FEMALE = _words(
    "芳 娜 敏 静 丽 艳 娟 霞 秀 玲 燕 红 梅 琳 婷 雪 慧 莉 倩 萍 颖 洁 琴 云 珊 丹 晶 露 蕾 薇"
    " 悦 欣 瑶 怡 佳 璐 蓉 艺 梦 雯 茜 嘉 雅 婧 彤 妍 琪 晴 玥 君 宁 兰 凤 华 英 玉 珍 月 春 秋"
)

# Provincial departments (省直机关) in a plausible order: general offices first.
DEPARTMENTS = _words(
    "省委办公厅 省政府办公厅 省人大常委会办公厅 省政协办公厅 省纪委监委机关 省委组织部"
    " 省委宣传部 省委统战部 省委政法委 省委政策研究室 省委网信办 省委编办 省委老干部局"
    " 省发展和改革委员会 省教育厅 省科学技术厅 省工业和信息化厅 省民族宗教事务委员会 省公安厅"
    " 省民政厅 省司法厅 省财政厅 省人力资源和社会保障厅 省自然资源厅 省生态环境厅"
    " 省住房和城乡建设厅 省交通运输厅 省水利厅 省农业农村厅 省商务厅 省文化和旅游厅"
    " 省卫生健康委员会 省退役军人事务厅 省应急管理厅 省审计厅 省外事办公室"
    " 省人民政府国有资产监督管理委员会 省市场监督管理局 省广播电视局 省体育局 省统计局"
    " 省林业和草原局 省医疗保障局 省地方金融管理局 省机关事务管理局 省信访局 省粮食和物资储备局"
    " 省能源局 省监狱管理局 省药品监督管理局 省知识产权局 省乡村振兴局 省人民防空办公室"
    " 省数据局 省政务服务管理局 省高级人民法院 省人民检察院 省总工会 共青团省委 省妇女联合会"
    " 省科学技术协会 省文学艺术界联合会 省社会科学界联合会 省残疾人联合会 省红十字会"
    " 省归国华侨联合会 省工商业联合会 省供销合作社联合社 省委党校 省社会科学院 省农业科学院"
    " 省档案馆 省地方志办公室 省气象局 省地质矿产勘查开发局 省测绘地理信息局 省税务局"
    " 省通信管理局 省邮政管理局 省烟草专卖局 省电力公司 省交通投资集团 省水利水电勘测设计研究院"
)

# Fields and suffixes for more departments once the list above is used up.
EXTRA_FIELDS = _words(
    "地震 海洋 渔业 口岸 扶贫 移民 茶业 中医药 盐务 文物 出版 版权 国防科工 航道 公路"
    " 铁路建设 民航发展 物流 会展 侨务 外国专家 人才服务 公共资源交易 信息 大数据 城乡规划"
    " 国土整治 水文 农垦 畜牧 农机 种子 植保 土壤肥料 森林防火 湿地保护 自然保护地 教育考试"
    " 招生 职业技能 社会保险 就业服务 医保结算 疾病预防控制 血液 卫生监督 食品检验 计量 标准化"
    " 特种设备检验 质量检验 价格监测 审计信息 统计调查 经济信息 金融服务 融资担保 住房公积金"
)
EXTRA_SUFFIXES = ("局", "中心", "研究院", "管理站", "服务中心", "事务中心")

# Offices inside a department; each gets "<office>党支部".
OFFICES = _words(
    "办公室 人事处 财务处 政策法规处 规划处 综合处 机关党委办公室 督查室 信息中心"
    " 机关服务中心 审批服务处 科技处 安全监管处 统计处 宣传教育处 对外合作处 计划财务处"
    " 行政审批处 执法监督处 监督检查处 调研室 研究室 档案室 后勤服务中心 培训中心"
    " 事务中心 业务一处 业务二处 业务三处 业务四处 业务五处 业务六处 质量管理处"
    " 项目管理处 发展规划处 运行监测处 应急处 监察室 审计处 保密办"
)

RETIREE_BRANCH = "离退休干部党支部"

ORDINALS = _words(
    "第一 第二 第三 第四 第五 第六 第七 第八 第九 第十 第十一 第十二 第十三 第十四 第十五"
    " 第十六 第十七 第十八 第十九 第二十"
)

TITLES: dict[str, tuple[str, ...]] = {
    "theme_day": (
        "重温入党誓词主题党日",
        "学习党章党规主题党日",
        "志愿服务进社区主题党日",
        "参观红色教育基地主题党日",
        "“我为群众办实事”主题党日",
        "廉洁文化教育主题党日",
        "岗位建功主题党日",
    ),
    "branch_assembly": ("支部党员大会", "季度支部党员大会", "讨论发展党员支部大会"),
    "committee_meeting": ("支部委员会会议", "研究月度工作委员会会议"),
    "cell_meeting": ("党小组会", "党小组学习会"),
    "party_lesson": (
        "专题党课：坚定理想信念",
        "专题党课：加强作风建设",
        "专题党课：学习党的创新理论",
        "专题党课：严守纪律规矩",
        "专题党课：践行群众路线",
    ),
    "org_life_meeting": ("年度组织生活会",),
    "democratic_life_meeting": ("领导班子民主生活会",),
    "member_review": ("民主评议党员",),
    "talk": ("谈心谈话",),
    "study_session": (
        "集中学习：党的理论",
        "集中学习：党纪学习教育",
        "集中学习：业务知识与政策",
        "集中学习：读原著学原文",
    ),
    "central_group_study": ("党组理论学习中心组学习",),
    "report_hearing": ("听取机关党建工作情况汇报", "听取机关纪委工作情况汇报"),
    "party_work_meeting": ("专题研究机关党建工作",),
    "ideology_meeting": ("专题研究意识形态工作",),
    "member_congress": ("机关党员干部大会",),
    "inspection": ("党建工作督导检查",),
    "warning_education": ("警示教育大会",),
    "field_research": ("基层蹲点调研",),
}

TRAINING_TITLES: dict[str, tuple[str, ...]] = {
    "general": (
        "党员集中轮训",
        "网络学习专题班",
        "党的理论专题学习",
        "党纪学习教育专题培训",
        "业务能力提升培训",
        "党员冬训",
    ),
    "secretary_induction": ("新任党支部书记培训班",),
    "party_worker": ("机关党务干部业务培训班", "党务工作实务培训"),
    "party_school": ("省委党校党务干部轮训班",),
}

# Communities where serving members register (到社区报到): district, street, community.
DISTRICTS = _words("城关区 新城区 东城区 西城区 南湖区 北山区 高新区 经开区")
STREETS = _words("人民路 解放路 建设路 和平路 文化路 滨江 翠湖 金马 东风 长青 园林 新华")
COMMUNITIES = _words(
    "幸福 和谐 光明 春晖 阳光 花园 锦绣 朝阳 桂苑 兰亭 翠微 康宁 新村 东苑 西苑 南苑 北苑 安居"
)

# Evidence on file for each admission step (发展党员).
ADMISSION_EVIDENCE: dict[str, str] = {
    "applied": "入党申请书",
    "talked": "入党申请人谈话记录",
    "activist": "支委会会议记录（确定入党积极分子）",
    "candidate": "支委会会议记录（确定发展对象）",
    "admitted": "支部大会决议、上级党委审批意见",
    "extended": "支部大会决议（延长预备期）、上级党委审批意见",
    "converted": "支部大会决议（转为正式党员）、上级党委审批意见",
}
