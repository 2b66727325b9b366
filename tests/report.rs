//! The weekly pipeline end to end on the bundled sample: the briefing's numbers against
//! `minqing sql`, a snapshot of the briefing, and no raw identifier in any output.

mod common;

use std::path::Path;

use common::{count, minqing, models, ok, sql};

/// A copy of pipelines/weekly.toml pointing at the repository's bundled sample.
fn weekly(dir: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("pipelines/weekly.toml"))
        .unwrap()
        .replace("../notebooks-data", &root.join("notebooks-data").to_string_lossy());
    std::fs::write(dir.join("weekly.toml"), text).unwrap();
    "weekly.toml".into()
}

fn run_weekly(d: &Path) -> String {
    let p = weekly(d);
    ok(&minqing(d, &["--models", &models(), "run", &p, "--as-of", "2026-10-31", "--out", "reports"]));
    std::fs::read_to_string(d.join("reports/weekly-2026-10-31/briefing.md")).unwrap()
}

/// The number right after `prefix` in the text.
fn number_after(text: &str, prefix: &str) -> u64 {
    let at = text.find(prefix).unwrap_or_else(|| panic!("`{prefix}` not in\n{text}")) + prefix.len();
    text[at..].chars().take_while(char::is_ascii_digit).collect::<String>().parse().unwrap()
}

#[test]
fn briefing_numbers_match_the_tables() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let md = run_weekly(d);
    // 2026-W44 is Monday 26 October to Sunday 1 November
    let week = "received_at >= '2026-10-26' AND received_at < '2026-11-02'";
    assert_eq!(number_after(&md, "本周共登记各类诉求"), count(d, &format!("SELECT count(*) FROM cases WHERE {week}")));
    let people = count(d, &format!("SELECT CAST(sum(coalesce(headcount, 1)) AS BIGINT) FROM cases WHERE {week}"));
    assert_eq!(number_after(&md, "涉及群众"), people);
    for (name, source) in
        [("信访", "petition"), ("12345工单", "hotline"), ("网络留言", "message"), ("网络舆情", "opinion")]
    {
        let n = count(d, &format!("SELECT count(*) FROM cases WHERE {week} AND source = '{source}'"));
        assert!(md.contains(&format!("{name}{n}件")), "{name} {n}\n{md}");
    }
    let red = count(d, &format!("SELECT count(*) FROM risk WHERE level = '红' AND {week}"));
    assert_eq!(number_after(&md, "本周新登记红色风险"), red);
    let overdue = count(d, "SELECT count(*) FROM deadlines WHERE state = '逾期'");
    assert_eq!(number_after(&md, "在办件中逾期"), overdue);
    let rate = sql(
        d,
        "SELECT CAST(numerator AS BIGINT), CAST(denominator AS BIGINT) FROM metrics WHERE grain = 'month' AND period = '2026-10' \
         AND source = 'petition' AND dimension = 'total' AND measure = '及时受理率'",
    );
    let parts = rate.lines().nth(1).unwrap().replace(',', "/");
    assert!(
        md.contains(&format!("及时受理率88.6%（{parts}）")) || md.contains(&format!("（{parts}）")),
        "{parts}\n{md}"
    );
    let top = sql(d, "SELECT title, cases FROM clusters WHERE kind = 'issue' ORDER BY heat_rank LIMIT 1");
    let (title, cases) = top.lines().nth(1).unwrap().split_once(',').unwrap();
    assert!(md.contains(&format!("| {title} | {cases} |")), "{title} {cases}\n{md}");

    // run.json: inputs with hashes, rows per stage, versions, timings
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("reports/weekly-2026-10-31/run.json")).unwrap()).unwrap();
    assert_eq!(run["inputs"].as_array().unwrap().len(), 4);
    assert!(run["inputs"][0]["blake3"].as_str().unwrap().len() >= 32);
    assert!(run["rows"]["risk_cases"].as_u64().unwrap() > 1900);
    assert!(run["timings_seconds"]["enrich"].is_number());
    assert!(run["versions"]["models"]["risk.toml"].is_string());

    // a second run re-uses the text stage and gives the same briefing
    let again = run_weekly(d);
    assert_eq!(again, md);
}

#[test]
fn briefing_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    insta::assert_snapshot!("weekly_briefing_sample_2026_10_31", run_weekly(tmp.path()));
}

#[test]
fn no_raw_identifier_in_any_output() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    run_weekly(d);
    let ids = sql(d, "SELECT DISTINCT id_number FROM persons WHERE id_number IS NOT NULL");
    let phones = sql(d, "SELECT DISTINCT phone FROM persons WHERE phone IS NOT NULL");
    let raw: Vec<String> =
        ids.lines().chain(phones.lines()).skip(1).filter(|l| l.len() >= 7 && *l != "phone").map(String::from).collect();
    assert!(raw.len() > 100, "the sample has identifiers to look for: {}", raw.len());
    let folder = d.join("reports/weekly-2026-10-31");
    let mut files = vec![];
    let mut dirs = vec![folder.clone()];
    while let Some(dir) = dirs.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() { dirs.push(p) } else { files.push(p) }
        }
    }
    let mut scanned = 0;
    for p in files {
        let text = if p.extension().is_some_and(|x| x == "docx") {
            docx_text(&p)
        } else if p.extension().is_some_and(|x| x == "xlsx") {
            use calamine::Reader;
            let mut wb = calamine::open_workbook_auto(&p).unwrap();
            let mut all = String::new();
            for name in wb.sheet_names() {
                let range = wb.worksheet_range(&name).unwrap();
                for row in range.rows() {
                    for c in row {
                        all.push_str(&c.to_string());
                        all.push('\t');
                    }
                }
            }
            all
        } else {
            // text files whole; PNG bytes as text, which shows any metadata chunk
            String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned()
        };
        scanned += 1;
        for r in &raw {
            assert!(!text.contains(r.as_str()), "{} holds a raw identifier", p.display());
        }
    }
    assert!(scanned >= 20, "briefing md/html/docx, run.json, four xlsx lists, charts, letters: {scanned}");
}

#[test]
fn a_bad_pipeline_file_lists_every_problem() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(
        d.join("bad.toml"),
        "name = \"w\"\nperiod = \"year\"\n[inputs]\nexports = [\"nowhere\"]\n[deadlines]\npolicy = \"fast\"\n",
    )
    .unwrap();
    let out = minqing(d, &["run", "bad.toml"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    for expect in ["bad.toml", "period: `year`", "inputs.exports:", "deadlines.policy: `fast`"] {
        assert!(err.contains(expect), "{expect}\n{err}");
    }
}

/// Screenshot a page with headless Chromium (installed by scripts/setup.sh).
fn screenshot(html: &Path, png: &Path, profile: &Path) {
    let out = std::process::Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            &format!("--user-data-dir={}", profile.display()),
            "--window-size=1240,1754",
            &format!("--screenshot={}", png.display()),
            &format!("file://{}", html.display()),
        ])
        .output()
        .expect("chromium runs (scripts/setup.sh installs it)");
    assert!(png.exists(), "no screenshot: {}", String::from_utf8_lossy(&out.stderr));
}

/// RGB pixels of a PNG: (width, height, bytes).
fn pixels(png: &Path) -> (usize, usize, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(png).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let step = info.color_type.samples();
    let rgb = buf[..info.buffer_size()].chunks(step).flat_map(|p| [p[0], p[1], p[2]]).collect();
    (info.width as usize, info.height as usize, rgb)
}

#[test]
fn html_briefing_renders_in_chromium_with_chinese_laid_out() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    run_weekly(d);
    let folder = d.join("reports/weekly-2026-10-31");
    let html = std::fs::read_to_string(folder.join("briefing.html")).unwrap();
    assert!(html.contains("data:image/png;base64,"), "charts are inline");
    assert!(!html.contains("src=\"charts/"), "no file the HTML depends on");
    for name in ["trend", "topics", "risk_levels", "clusters"] {
        assert!(
            folder.join(format!("charts/{name}.png")).exists() && folder.join(format!("charts/{name}.svg")).exists(),
            "{name}"
        );
    }
    let shot = d.join("shot.png");
    screenshot(&folder.join("briefing.html"), &shot, &d.join("profile"));
    let (w, h, px) = pixels(&shot);
    let dark = px.chunks(3).filter(|p| p.iter().all(|&c| c < 128)).count();
    assert!(dark > w * h / 200, "the page is not blank: {dark} dark pixels of {}", w * h);
    // the red 黑体 title: Chinese glyphs drawn, not empty boxes — the same page with the
    // title's characters swapped for ones no font has must look different
    let red = |px: &[u8]| -> Vec<usize> {
        px.chunks(3)
            .enumerate()
            .filter(|(i, p)| *i < w * 200 && p[0] > 150 && p[1] < 80 && p[2] < 80)
            .map(|(i, _)| i)
            .collect()
    };
    let title_red = red(&px);
    assert!(title_red.len() > 500, "a red title at the top: {}", title_red.len());
    let boxes = html.replacen(
        "<h1>青溪县社情民意周报</h1>",
        "<h1>\u{E000}\u{E001}\u{E002}\u{E003}\u{E004}\u{E005}\u{E006}\u{E007}\u{E008}\u{E009}</h1>",
        1,
    );
    assert_ne!(boxes, html);
    std::fs::write(d.join("boxes.html"), boxes).unwrap();
    let shot2 = d.join("boxes.png");
    screenshot(&d.join("boxes.html"), &shot2, &d.join("profile2"));
    let (_, _, px2) = pixels(&shot2);
    assert_ne!(title_red, red(&px2), "the title renders the same as missing glyphs");
}

/// The XML of every part of a DOCX, joined.
fn docx_text(path: &Path) -> String {
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut all = String::new();
    for i in 0..z.len() {
        let mut f = z.by_index(i).unwrap();
        if f.name().ends_with(".xml") {
            std::io::Read::read_to_string(&mut f, &mut all).unwrap();
        }
    }
    all
}

#[test]
fn docx_briefing_and_draft_letters() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    run_weekly(d);
    let folder = d.join("reports/weekly-2026-10-31");
    let xml = docx_text(&folder.join("briefing.docx"));
    for expect in ["青溪县社情民意周报", "一、总体情况", "七、工作建议", "黑体", "仿宋", "<w:drawing>", "<w:tbl>"]
    {
        assert!(xml.contains(expect), "{expect} not in briefing.docx");
    }
    let letters: Vec<String> = std::fs::read_dir(folder.join("letters"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let depts = count(d, "SELECT count(DISTINCT coalesce(dept, '')) FROM deadlines WHERE state = '逾期'");
    assert_eq!(letters.iter().filter(|l| l.starts_with("督办函")).count() as u64, depts, "{letters:?}");
    let red = count(d, "SELECT count(*) FROM clusters WHERE kind = 'issue' AND risk_max >= 80");
    assert_eq!(letters.iter().filter(|l| l.starts_with("风险提醒函")).count() as u64, red, "{letters:?}");
    // every overdue case is in its department's letter
    let overdue = sql(d, "SELECT case_id FROM deadlines WHERE state = '逾期'");
    let all: String = letters.iter().map(|l| docx_text(&folder.join("letters").join(l))).collect();
    for id in overdue.lines().skip(1) {
        assert!(all.contains(id), "{id} missing from the 督办函");
    }
    assert!(all.contains("信访事项督办函") && all.contains("（草稿，请核实后签发）"));
}
