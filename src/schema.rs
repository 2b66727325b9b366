//! Column names and Arrow schemas of the warehouse tables, in one place.
//!
//! Stages refer to columns only through these constants; the schemas here are the
//! contract between ingest, the later stages, `minqing sql` and notebook users.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

/// Names of the warehouse tables.
pub mod table {
    pub const CASES: &str = "cases";
    pub const REJECTS: &str = "rejects";
    pub const PERSONS: &str = "persons";
    pub const ENRICHED: &str = "enriched";
    pub const RISK: &str = "risk";
    pub const RISK_GROUPS: &str = "risk_groups";
    pub const METRICS: &str = "metrics";
    pub const DEADLINES: &str = "deadlines";
    pub const CLUSTERS: &str = "clusters";
    pub const CLUSTER_MEMBERS: &str = "cluster_members";
    /// Every version of every case ingest has stored: how a re-export is told from an old one.
    pub const CASE_VERSIONS: &str = "case_versions";
    /// How well each reply answers its case.
    pub const REPLY_REVIEW: &str = "reply_review";
    /// Person keys that belong to one person with another key (an ID number and a phone
    /// tied together by a register).
    pub const PERSON_LINKS: &str = "person_links";
    /// Cases whose 问题属地, household registration and residence are not one place.
    pub const CROSS_REGION: &str = "cross_region";
    /// Every table `minqing sql` may register, in a stable order.
    pub const ALL: &[&str] = &[
        CASES,
        REJECTS,
        PERSONS,
        ENRICHED,
        RISK,
        RISK_GROUPS,
        METRICS,
        DEADLINES,
        CLUSTERS,
        CLUSTER_MEMBERS,
        CASE_VERSIONS,
        REPLY_REVIEW,
        PERSON_LINKS,
        CROSS_REGION,
    ];
}

/// Columns of the canonical `cases` table (see DESIGN.md).
pub mod cases {
    pub const CASE_ID: &str = "case_id";
    pub const SOURCE: &str = "source";
    pub const CHANNEL: &str = "channel";
    pub const RECEIVED_AT: &str = "received_at";
    pub const TITLE: &str = "title";
    pub const CONTENT: &str = "content";
    pub const PERSON_KEY: &str = "person_key";
    pub const HEADCOUNT: &str = "headcount";
    pub const REGION_COUNTY: &str = "region_county";
    pub const REGION_TOWN: &str = "region_town";
    pub const CATEGORY_GIVEN: &str = "category_given";
    pub const PURPOSE: &str = "purpose";
    pub const CROSS_LEVEL: &str = "cross_level";
    pub const TO_BEIJING: &str = "to_beijing";
    pub const TO_PROVINCE: &str = "to_province";
    pub const COLLECTIVE: &str = "collective";
    pub const REPEAT_FLAG: &str = "repeat_flag";
    pub const JOINT: &str = "joint";
    pub const THREAT_FLAG: &str = "threat_flag";
    pub const LEVEL: &str = "reg_level";
    pub const DEPT: &str = "dept";
    pub const ACCEPTED_AT: &str = "accepted_at";
    pub const DUE_AT: &str = "due_at";
    pub const CLOSED_AT: &str = "closed_at";
    pub const REPLIED_AT: &str = "replied_at";
    pub const SATISFACTION: &str = "satisfaction";
    pub const REPLY: &str = "reply";
    /// 包案领导 / 包案单位, when the export has one.
    pub const OWNER: &str = "owner";
    pub const LIKES: &str = "likes";
    pub const DISLIKES: &str = "dislikes";
    pub const SHARES: &str = "shares";
    pub const COMMENTS: &str = "comments";
    pub const PLATFORM: &str = "platform";
    pub const INGEST_FILE: &str = "ingest_file";
    pub const INGEST_ROW: &str = "ingest_row";
}

/// Columns of `rejects`: one row per input row that could not be used.
pub mod rejects {
    pub const SOURCE: &str = "source";
    pub const FILE: &str = "file";
    pub const FILE_HASH: &str = "file_hash";
    pub const ROW: &str = "row";
    pub const CASE_ID: &str = "case_id";
    pub const REASON: &str = "reason";
    pub const DETAIL: &str = "detail";
    pub const RAW: &str = "raw";
}

/// Columns of `case_versions`: one row per stored content of a case (source, case_id).
pub mod case_versions {
    pub const SOURCE: &str = "source";
    pub const CASE_ID: &str = "case_id";
    /// BLAKE3 of the case's content columns (all but ingest_file and ingest_row), 32 hex digits.
    pub const ROW_HASH: &str = "row_hash";
    /// The warehouse commit that stored this content.
    pub const COMMIT: &str = "commit";
    pub const INGEST_FILE: &str = "ingest_file";
}

/// Columns of `reply_review`: one row per case with a reply.
pub mod reply_review {
    pub const SOURCE: &str = "source";
    pub const CASE_ID: &str = "case_id";
    /// The department that replied (the case's `dept`).
    pub const DEPT: &str = "dept";
    pub const REPLIED_AT: &str = "replied_at";
    /// 0–1: the reply speaks of this case's matter (0.5: it names nothing specific).
    pub const RELEVANCE: &str = "relevance";
    /// 0–1: the share of the case's requests the reply takes up.
    pub const COMPLETENESS: &str = "completeness";
    /// 0–1: substance beyond the forms, and the parts of an answer it has.
    pub const EXPLANATION: &str = "explanation";
    /// Days from receipt to reply.
    pub const TIMELINESS_DAYS: &str = "timeliness_days";
    /// 0–100.
    pub const SCORE: &str = "score";
    /// 敷衍, 推诿, 答非所问, 不完整, 超期答复.
    pub const FLAGS: &str = "flags";
    /// One line per flag: `flag: evidence`.
    pub const EVIDENCE: &str = "evidence";
}

/// Columns of `person_links`: a person key and the person_id of the person it belongs to
/// (the smallest of the person's keys); keys that are their own person_id are not listed.
pub mod person_links {
    pub const PERSON_KEY: &str = "person_key";
    pub const PERSON_ID: &str = "person_id";
}

/// Columns of `cross_region` (三跨三分离): one row per case whose places differ.
pub mod cross_region {
    pub const SOURCE: &str = "source";
    pub const CASE_ID: &str = "case_id";
    /// 问题属地 (county, town).
    pub const REGION_COUNTY: &str = "region_county";
    pub const REGION_TOWN: &str = "region_town";
    /// 户籍地 when it is not the 问题属地: a county, or 外县 / 外市 / 外省 (never the code).
    pub const HOUSEHOLD: &str = "household";
    /// 居住地: the county the address names.
    pub const RESIDENCE: &str = "residence";
    /// 户籍地≠问题属地, 居住地≠问题属地, 户籍地≠居住地.
    pub const DIFFERS: &str = "differs";
}

/// Columns of `persons`: the only place raw personal data is kept. Reports never read it.
pub mod persons {
    pub const PERSON_KEY: &str = "person_key";
    pub const SOURCE: &str = "source";
    pub const CASE_ID: &str = "case_id";
    pub const NAME: &str = "name";
    pub const ID_NUMBER: &str = "id_number";
    pub const PHONE: &str = "phone";
    /// Where the person lives (住址), as the export gives it.
    pub const ADDRESS: &str = "address";
}

/// Columns of `enriched`: what the text stages read in each case.
pub mod enriched {
    pub const CASE_ID: &str = "case_id";
    pub const SOURCE: &str = "source";
    /// Every piece jieba cut, in order: they join back to `title + " " + content`.
    pub const TOKENS: &str = "tokens";
    pub const KEYWORDS: &str = "keywords";
    pub const CATEGORY_L1: &str = "category_l1";
    pub const CATEGORY_L2: &str = "category_l2";
    pub const FOCUS_TOPIC: &str = "focus_topic";
    pub const FOCUS_SUB: &str = "focus_sub";
    pub const CONFIDENCE: &str = "confidence";
    pub const TOPIC_TERMS: &str = "topic_terms";
    pub const LEAD_DEPT: &str = "lead_dept";
    pub const ENTITIES: &str = "entities";
    pub const ENTITY_KEY: &str = "entity_key";
    pub const AMOUNT_YUAN: &str = "amount_yuan";
    pub const THREATS: &str = "threats";
    pub const THREAT_TEXT: &str = "threat_text";
    pub const REGION_COUNTY: &str = "region_county";
    pub const REGION_TOWN: &str = "region_town";
    /// The text's MinHash sketch for near-duplicates (`cluster::minhash`: 64 bins, each a
    /// little-endian u32), empty for a text of under 3 usable characters, null in a row an
    /// older minqing wrote; computed here so that `cluster` sketches only the cases
    /// enriched since its last run.
    pub const SKETCH: &str = "sketch";
}

/// Columns of `risk`: one row per case, scored as of a date.
pub mod risk {
    pub const CASE_ID: &str = "case_id";
    pub const SOURCE: &str = "source";
    pub const RECEIVED_AT: &str = "received_at";
    pub const PERSON_KEY: &str = "person_key";
    pub const ENTITY_KEY: &str = "entity_key";
    pub const FOCUS_TOPIC: &str = "focus_topic";
    pub const REGION_TOWN: &str = "region_town";
    pub const DEPT: &str = "dept";
    pub const HEADCOUNT: &str = "headcount";
    pub const SCORE: &str = "score";
    pub const LEVEL: &str = "level";
    /// `名称 细节 +分`, e.g. `集体访 38人 +25`.
    pub const REASONS: &str = "reasons";
    /// Chance of 越级 or 集体 within 30 days from the learned model (null without one).
    pub const ESCALATION_PROB: &str = "escalation_prob";
    pub const AS_OF: &str = "as_of";
}

/// Columns of `risk_groups`: the same reasons rolled up per petitioner and per entity.
pub mod risk_groups {
    /// `petitioner` or `entity`.
    pub const KIND: &str = "kind";
    pub const KEY: &str = "key";
    pub const CASES: &str = "cases";
    pub const RECENT_CASES: &str = "recent_cases";
    pub const PEOPLE: &str = "people";
    pub const PETITIONERS: &str = "petitioners";
    pub const FIRST_SEEN: &str = "first_seen";
    pub const LAST_SEEN: &str = "last_seen";
    pub const SCORE: &str = "score";
    pub const LEVEL: &str = "level";
    pub const REASONS: &str = "reasons";
    /// Levels in the order first reached, with dates: `县 2026-01-03 → 市 2026-02-11 → 京 2026-04-02`.
    pub const ESCALATION_PATH: &str = "escalation_path";
    pub const ESCALATION_PROB: &str = "escalation_prob";
    pub const TOP_CASE: &str = "top_case";
    pub const AS_OF: &str = "as_of";
    /// Distinct matters (focus topics, 其他 aside) among the group's cases.
    pub const MATTERS: &str = "matters";
    /// 一人多诉 (a petitioner with two matters or more) or 多人同诉 (an entity with three
    /// petitioners or more); empty otherwise.
    pub const PATTERN: &str = "pattern";
}

/// Columns of `metrics` (long format): one figure per row, with its parts.
pub mod metrics {
    /// `day`, `week`, `month`, or `asof` for a snapshot on the as-of date.
    pub const GRAIN: &str = "grain";
    /// `2026-10-31`, `2026-W44`, `2026-10`.
    pub const PERIOD: &str = "period";
    /// `all`, `petition`, `hotline`, `message`, `opinion`.
    pub const SOURCE: &str = "source";
    /// `total`, `channel`, `source`, `topic`, `town`, `dept`, `entity`, `person`.
    pub const DIMENSION: &str = "dimension";
    pub const KEY: &str = "key";
    pub const MEASURE: &str = "measure";
    pub const NUMERATOR: &str = "numerator";
    pub const DENOMINATOR: &str = "denominator";
    /// numerator / denominator for rates and changes; null when the denominator is 0.
    pub const VALUE: &str = "value";
    pub const NOTE: &str = "note";
    pub const AS_OF: &str = "as_of";
}

/// Columns of `deadlines`: one row per open case with a deadline.
pub mod deadlines {
    pub const CASE_ID: &str = "case_id";
    pub const SOURCE: &str = "source";
    pub const POLICY: &str = "policy";
    /// `受理` (waiting to be registered/routed) or `办理` (being handled).
    pub const STAGE: &str = "stage";
    pub const DEPT: &str = "dept";
    pub const REGION_TOWN: &str = "region_town";
    pub const RECEIVED_AT: &str = "received_at";
    pub const DUE_AT: &str = "due_at";
    /// 正常, 临期, 到期, 逾期.
    pub const STATE: &str = "state";
    /// Days from the as-of date to the due date; negative when overdue.
    pub const DAYS_LEFT: &str = "days_left";
    pub const AS_OF: &str = "as_of";
}

/// Columns of `clusters`: same-type case groups (类案) with heat and suggested assignment.
pub mod clusters {
    pub const CLUSTER_ID: &str = "cluster_id";
    /// `issue` (one entity, one matter, with collective action or threats), `routine` (one
    /// entity, one matter, ordinary individual complaints: 常发) or `duplicate` (the same
    /// text sent again from one locality, no entity named).
    pub const KIND: &str = "kind";
    pub const TITLE: &str = "title";
    pub const FOCUS_TOPIC: &str = "focus_topic";
    pub const FOCUS_SUB: &str = "focus_sub";
    pub const ENTITY_KEY: &str = "entity_key";
    pub const CASES: &str = "cases";
    pub const PEOPLE: &str = "people";
    pub const PETITIONERS: &str = "petitioners";
    pub const PETITION: &str = "petition";
    pub const HOTLINE: &str = "hotline";
    pub const MESSAGE: &str = "message";
    pub const OPINION: &str = "opinion";
    /// The source of the earliest case: where the issue showed first.
    pub const FIRST_SOURCE: &str = "first_source";
    pub const FIRST_SEEN: &str = "first_seen";
    pub const LAST_SEEN: &str = "last_seen";
    /// Cases per week, the 12 weeks ending on the as-of day, oldest first: `0,1,3,…`.
    pub const WEEKLY: &str = "weekly";
    /// `城关镇 12、青石镇 3`: the localities owning the cases (属地).
    pub const REGIONS: &str = "regions";
    pub const DEPTS: &str = "depts";
    pub const RISK_MAX: &str = "risk_max";
    pub const RED_CASES: &str = "red_cases";
    pub const ENGAGEMENT: &str = "engagement";
    pub const HEAT: &str = "heat";
    pub const HEAT_RANK: &str = "heat_rank";
    /// The functional department that leads the class (双向交办).
    pub const LEAD_DEPT: &str = "lead_dept";
    /// `首发 X1；风险最高 X7；典型表述 X3`.
    pub const REPRESENTATIVE: &str = "representative";
    /// Resolved cases with how they were handled (the typical-case library).
    pub const TYPICAL: &str = "typical";
    pub const AS_OF: &str = "as_of";
    /// `外省 3、开福区 1`: where members' petitioners are registered or live, when not the
    /// 问题属地 (`cross_region`): the localities that assist the ones in `regions`.
    pub const CO_REGIONS: &str = "co_regions";
}

/// Columns of `cluster_members`.
pub mod cluster_members {
    pub const CLUSTER_ID: &str = "cluster_id";
    pub const CASE_ID: &str = "case_id";
    pub const SOURCE: &str = "source";
    /// Near-duplicate group (the case_id of its first member), when the text was sent again.
    pub const DUP_OF: &str = "dup_of";
}

/// Schema of `clusters`.
pub fn clusters_schema() -> SchemaRef {
    use DataType::{Date32, Float64, Int32, Int64, Utf8 as S};
    use clusters::*;
    Arc::new(Schema::new(vec![
        f(CLUSTER_ID, S, false),
        f(KIND, S, false),
        f(TITLE, S, false),
        f(FOCUS_TOPIC, S, false),
        f(FOCUS_SUB, S, false),
        f(ENTITY_KEY, S, true),
        f(CASES, Int64, false),
        f(PEOPLE, Int64, false),
        f(PETITIONERS, Int64, false),
        f(PETITION, Int64, false),
        f(HOTLINE, Int64, false),
        f(MESSAGE, Int64, false),
        f(OPINION, Int64, false),
        f(FIRST_SOURCE, S, false),
        f(FIRST_SEEN, ts(), false),
        f(LAST_SEEN, ts(), false),
        f(WEEKLY, S, false),
        f(REGIONS, S, false),
        f(DEPTS, S, false),
        f(RISK_MAX, Int32, true),
        f(RED_CASES, Int64, false),
        f(ENGAGEMENT, Int64, false),
        f(HEAT, Float64, false),
        f(HEAT_RANK, Int32, false),
        f(LEAD_DEPT, S, false),
        f(REPRESENTATIVE, S, false),
        f(TYPICAL, S, false),
        f(AS_OF, Date32, false),
        f(CO_REGIONS, S, true),
    ]))
}

/// Schema of `cluster_members`.
pub fn cluster_members_schema() -> SchemaRef {
    use DataType::Utf8 as S;
    use cluster_members::*;
    Arc::new(Schema::new(vec![f(CLUSTER_ID, S, false), f(CASE_ID, S, false), f(SOURCE, S, false), f(DUP_OF, S, true)]))
}

/// Schema of `risk`.
pub fn risk_schema() -> SchemaRef {
    use DataType::{Date32, Float64, Int32, Utf8 as S};
    use risk::*;
    Arc::new(Schema::new(vec![
        f(CASE_ID, S, false),
        f(SOURCE, S, false),
        f(RECEIVED_AT, ts(), false),
        f(PERSON_KEY, S, true),
        f(ENTITY_KEY, S, true),
        f(FOCUS_TOPIC, S, false),
        f(REGION_TOWN, S, true),
        f(DEPT, S, true),
        f(HEADCOUNT, Int32, false),
        f(SCORE, Int32, false),
        f(LEVEL, S, false),
        f(REASONS, list_utf8(), false),
        f(ESCALATION_PROB, Float64, true),
        f(AS_OF, Date32, false),
    ]))
}

/// Schema of `risk_groups`.
pub fn risk_groups_schema() -> SchemaRef {
    use DataType::{Date32, Float64, Int32, Int64, Utf8 as S};
    use risk_groups::*;
    Arc::new(Schema::new(vec![
        f(KIND, S, false),
        f(KEY, S, false),
        f(CASES, Int64, false),
        f(RECENT_CASES, Int64, false),
        f(PEOPLE, Int64, false),
        f(PETITIONERS, Int64, false),
        f(FIRST_SEEN, ts(), false),
        f(LAST_SEEN, ts(), false),
        f(SCORE, Int32, false),
        f(LEVEL, S, false),
        f(REASONS, list_utf8(), false),
        f(ESCALATION_PATH, S, false),
        f(ESCALATION_PROB, Float64, true),
        f(TOP_CASE, S, false),
        f(AS_OF, Date32, false),
        f(MATTERS, Int64, true),
        f(PATTERN, S, true),
    ]))
}

/// Schema of `metrics`.
pub fn metrics_schema() -> SchemaRef {
    use DataType::{Date32, Float64, Utf8 as S};
    use metrics::*;
    Arc::new(Schema::new(vec![
        f(GRAIN, S, false),
        f(PERIOD, S, false),
        f(SOURCE, S, false),
        f(DIMENSION, S, false),
        f(KEY, S, false),
        f(MEASURE, S, false),
        f(NUMERATOR, Float64, true),
        f(DENOMINATOR, Float64, true),
        f(VALUE, Float64, true),
        f(NOTE, S, true),
        f(AS_OF, Date32, false),
    ]))
}

/// Schema of `cross_region`.
pub fn cross_region_schema() -> SchemaRef {
    use DataType::Utf8 as S;
    use cross_region::*;
    Arc::new(Schema::new(vec![
        f(SOURCE, S, false),
        f(CASE_ID, S, false),
        f(REGION_COUNTY, S, false),
        f(REGION_TOWN, S, true),
        f(HOUSEHOLD, S, true),
        f(RESIDENCE, S, true),
        f(DIFFERS, list_utf8(), false),
    ]))
}

/// Schema of `person_links`.
pub fn person_links_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        f(person_links::PERSON_KEY, DataType::Utf8, false),
        f(person_links::PERSON_ID, DataType::Utf8, false),
    ]))
}

/// Schema of `reply_review`.
pub fn reply_review_schema() -> SchemaRef {
    use DataType::{Float64, Int32, Utf8 as S};
    use reply_review::*;
    Arc::new(Schema::new(vec![
        f(SOURCE, S, false),
        f(CASE_ID, S, false),
        f(DEPT, S, true),
        f(REPLIED_AT, ts(), true),
        f(RELEVANCE, Float64, false),
        f(COMPLETENESS, Float64, false),
        f(EXPLANATION, Float64, false),
        f(TIMELINESS_DAYS, Int32, true),
        f(SCORE, Int32, false),
        f(FLAGS, list_utf8(), false),
        f(EVIDENCE, list_utf8(), false),
    ]))
}

/// Schema of `deadlines`.
pub fn deadlines_schema() -> SchemaRef {
    use DataType::{Date32, Int32, Utf8 as S};
    use deadlines::*;
    Arc::new(Schema::new(vec![
        f(CASE_ID, S, false),
        f(SOURCE, S, false),
        f(POLICY, S, false),
        f(STAGE, S, false),
        f(DEPT, S, true),
        f(REGION_TOWN, S, true),
        f(RECEIVED_AT, ts(), false),
        f(DUE_AT, Date32, false),
        f(STATE, S, false),
        f(DAYS_LEFT, Int32, false),
        f(AS_OF, Date32, false),
    ]))
}

fn list_utf8() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)))
}

/// Schema of `enriched`.
pub fn enriched_schema() -> SchemaRef {
    use DataType::{Boolean, Float64, Utf8 as S};
    use enriched::*;
    Arc::new(Schema::new(vec![
        f(CASE_ID, S, false),
        f(SOURCE, S, false),
        f(TOKENS, list_utf8(), false),
        f(KEYWORDS, list_utf8(), false),
        f(CATEGORY_L1, S, false),
        f(CATEGORY_L2, S, false),
        f(FOCUS_TOPIC, S, false),
        f(FOCUS_SUB, S, false),
        f(CONFIDENCE, Float64, false),
        f(TOPIC_TERMS, list_utf8(), false),
        f(LEAD_DEPT, S, false),
        f(ENTITIES, list_utf8(), false),
        f(ENTITY_KEY, S, true),
        f(AMOUNT_YUAN, Float64, true),
        f(THREATS, list_utf8(), false),
        f(THREAT_TEXT, Boolean, false),
        f(REGION_COUNTY, S, true),
        f(REGION_TOWN, S, true),
        f(SKETCH, DataType::Binary, true),
    ]))
}

fn ts() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, None)
}

fn f(name: &str, dt: DataType, nullable: bool) -> Field {
    Field::new(name, dt, nullable)
}

/// Schema of `cases`. Timestamps are local wall-clock time (no zone), as exports give them.
pub fn cases_schema() -> SchemaRef {
    use DataType::{Boolean as B, Int32, Int64, Utf8 as S};
    use cases::*;
    Arc::new(Schema::new(vec![
        f(CASE_ID, S, false),
        f(SOURCE, S, false),
        f(CHANNEL, S, true),
        f(RECEIVED_AT, ts(), false),
        f(TITLE, S, true),
        f(CONTENT, S, false),
        f(PERSON_KEY, S, true),
        f(HEADCOUNT, Int32, true),
        f(REGION_COUNTY, S, true),
        f(REGION_TOWN, S, true),
        f(CATEGORY_GIVEN, S, true),
        f(PURPOSE, S, true),
        f(CROSS_LEVEL, B, true),
        f(TO_BEIJING, B, true),
        f(TO_PROVINCE, B, true),
        f(COLLECTIVE, B, true),
        f(REPEAT_FLAG, B, true),
        f(JOINT, B, true),
        f(THREAT_FLAG, B, true),
        f(LEVEL, S, true),
        f(DEPT, S, true),
        f(ACCEPTED_AT, ts(), true),
        f(DUE_AT, ts(), true),
        f(CLOSED_AT, ts(), true),
        f(REPLIED_AT, ts(), true),
        f(SATISFACTION, S, true),
        f(REPLY, S, true),
        f(OWNER, S, true),
        f(LIKES, Int64, true),
        f(DISLIKES, Int64, true),
        f(SHARES, Int64, true),
        f(COMMENTS, Int64, true),
        f(PLATFORM, S, true),
        f(INGEST_FILE, S, false),
        f(INGEST_ROW, Int64, false),
    ]))
}

/// Schema of `rejects`.
pub fn rejects_schema() -> SchemaRef {
    use DataType::{Int64, Utf8 as S};
    use rejects::*;
    Arc::new(Schema::new(vec![
        f(SOURCE, S, false),
        f(FILE, S, false),
        f(FILE_HASH, S, false),
        f(ROW, Int64, false),
        f(CASE_ID, S, true),
        f(REASON, S, false),
        f(DETAIL, S, false),
        f(RAW, S, false),
    ]))
}

/// Schema of `persons`.
pub fn persons_schema() -> SchemaRef {
    use DataType::Utf8 as S;
    use persons::*;
    Arc::new(Schema::new(vec![
        f(PERSON_KEY, S, false),
        f(SOURCE, S, false),
        f(CASE_ID, S, false),
        f(NAME, S, true),
        f(ID_NUMBER, S, true),
        f(PHONE, S, true),
        f(ADDRESS, S, true),
    ]))
}

/// Schema of `case_versions`.
pub fn case_versions_schema() -> SchemaRef {
    use DataType::{Int64, Utf8 as S};
    use case_versions::*;
    Arc::new(Schema::new(vec![
        f(SOURCE, S, false),
        f(CASE_ID, S, false),
        f(ROW_HASH, S, false),
        f(COMMIT, Int64, false),
        f(INGEST_FILE, S, false),
    ]))
}

/// The schema a table is written with, or an error that lists the known tables.
pub fn schema_of(table_name: &str) -> crate::Result<SchemaRef> {
    match table_name {
        table::CASES => Ok(cases_schema()),
        table::REJECTS => Ok(rejects_schema()),
        table::PERSONS => Ok(persons_schema()),
        table::ENRICHED => Ok(enriched_schema()),
        table::RISK => Ok(risk_schema()),
        table::RISK_GROUPS => Ok(risk_groups_schema()),
        table::METRICS => Ok(metrics_schema()),
        table::DEADLINES => Ok(deadlines_schema()),
        table::CLUSTERS => Ok(clusters_schema()),
        table::CLUSTER_MEMBERS => Ok(cluster_members_schema()),
        table::CASE_VERSIONS => Ok(case_versions_schema()),
        table::REPLY_REVIEW => Ok(reply_review_schema()),
        table::PERSON_LINKS => Ok(person_links_schema()),
        table::CROSS_REGION => Ok(cross_region_schema()),
        other => Err(crate::Error::Schema(format!("unknown table `{other}`; known tables: {}", table::ALL.join(", ")))),
    }
}
