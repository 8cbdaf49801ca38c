//! The teacher's kit covers every lesson in both languages: a quiz and the answers to its
//! exercises, and the cheat sheets are A4 pages at 150 dpi.

use std::fs;
use std::path::{Path, PathBuf};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The lesson numbers, from the English lessons' file names (`NN-name.md`).
fn lessons() -> Result<Vec<u32>, Box<dyn std::error::Error>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(root().join("tutorials/en"))? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if let Some(n) = name.split('-').next().and_then(|n| n.parse().ok()) {
            out.push(n);
        }
    }
    out.sort_unstable();
    Ok(out)
}

fn read(rel: &str) -> Result<String, Box<dyn std::error::Error>> {
    let p = root().join(rel);
    fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()).into())
}

/// The `## …` headings of a Markdown file.
fn headings(text: &str) -> Vec<&str> {
    text.lines().filter_map(|l| l.strip_prefix("## ")).collect()
}

#[test]
fn every_lesson_has_a_quiz_and_answers_in_both_languages() -> TestResult {
    let lessons = lessons()?;
    assert_eq!(lessons.len(), 19, "lessons found: {lessons:?}");
    for (file, heading) in [
        ("tutorials/teacher/en/quizzes.md", "Lesson {n}"),
        ("tutorials/teacher/zh/quizzes.md", "第 {n} 课"),
        ("tutorials/teacher/en/answers.md", "Lesson {n} ·"),
        ("tutorials/teacher/zh/answers.md", "第 {n} 课 ·"),
    ] {
        let text = read(file)?;
        let heads = headings(&text);
        for n in &lessons {
            let want = heading.replace("{n}", &n.to_string());
            assert!(
                heads
                    .iter()
                    .any(|h| *h == want || h.starts_with(&format!("{want} "))),
                "{file}: no section \"## {want}\""
            );
        }
    }
    Ok(())
}

#[test]
fn every_quiz_has_questions_and_answers() -> TestResult {
    for file in [
        "tutorials/teacher/en/quizzes.md",
        "tutorials/teacher/zh/quizzes.md",
    ] {
        let text = read(file)?;
        for section in text.split("\n## ").skip(1) {
            let title = section.lines().next().unwrap_or_default();
            let questions = section
                .lines()
                .filter(|l| l.len() > 3 && l.as_bytes()[0].is_ascii_digit() && l.contains(". "))
                .count();
            assert!(
                (3..=5).contains(&questions),
                "{file}: {title}: {questions} questions"
            );
            assert!(
                section.contains("**Answers.**") || section.contains("**答案**"),
                "{file}: {title}: no answers"
            );
        }
    }
    Ok(())
}

#[test]
fn every_kit_page_exists_in_both_languages_and_is_linked() -> TestResult {
    let index = read("tutorials/teacher/README.md")?;
    for page in [
        "course-plan",
        "answers",
        "quizzes",
        "misconceptions",
        "errata",
    ] {
        for lang in ["en", "zh"] {
            let rel = format!("{lang}/{page}.md");
            assert!(
                root().join("tutorials/teacher").join(&rel).is_file(),
                "missing {rel}"
            );
            assert!(index.contains(&format!("({rel})")), "index lacks {rel}");
        }
    }
    assert!(read("tutorials/README.md")?.contains("(teacher/README.md)"));
    Ok(())
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(path: &Path) -> Result<(u32, u32), Box<dyn std::error::Error>> {
    let bytes = fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if bytes.len() < 24 || &bytes[..8] != b"\x89PNG\r\n\x1a\n" || &bytes[12..16] != b"IHDR" {
        return Err(format!("{}: not a PNG", path.display()).into());
    }
    let be = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    Ok((be(16), be(20)))
}

#[test]
fn cheat_sheets_are_a4_at_150_dpi() -> TestResult {
    for lang in ["en", "zh"] {
        let png = root().join(format!("assets/cheatsheet-{lang}.png"));
        assert_eq!(png_size(&png)?, (1240, 1754), "{}", png.display());
    }
    Ok(())
}
