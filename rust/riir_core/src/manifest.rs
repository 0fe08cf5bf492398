//! Directory manifests: every file under a root that matches a datum glob, with its size and BLAKE3 hash, and the
//! difference between two manifests.
//!
//! A directory asset is "the same data" exactly when its manifest is the same, so downstream work can be limited
//! to the files that were added or modified. Hashing is the expensive part: files whose size and modification time
//! equal those recorded in the memo from the previous scan keep their recorded hash without being read, and the
//! files that must be read are hashed in parallel.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use globset::{GlobBuilder, GlobMatcher};
use rayon::prelude::*;

/// One file of a manifest. `relpath` uses `/` separators and never starts with one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    /// Path relative to the scanned root.
    pub relpath: String,
    /// Size in bytes.
    pub size: u64,
    /// Modification time in nanoseconds since the epoch (what the memo is keyed by, with the size).
    pub mtime_ns: i64,
    /// BLAKE3 hash of the content, lower-case hex.
    pub hash: String,
}

/// What a previous scan knew about a file: size, modification time and hash.
pub type Memo = HashMap<String, (u64, i64, String)>;

/// The result of scanning a directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scan {
    /// Every matching file, sorted by `relpath`.
    pub files: Vec<FileEntry>,
    /// How many files were read and hashed (the others reused their memo entry).
    pub hashed: usize,
}

/// Files added, modified and removed between two manifests, each sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diff {
    /// In the new manifest only.
    pub added: Vec<String>,
    /// In both, with a different hash.
    pub modified: Vec<String>,
    /// In the old manifest only.
    pub removed: Vec<String>,
}

impl Diff {
    /// True when the two manifests hold the same files with the same content.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.modified.is_empty() && self.removed.is_empty()
    }
}

/// Why a directory could not be scanned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManifestError {
    /// The datum glob is not a valid glob.
    BadGlob {
        /// The glob as given.
        glob: String,
        /// The parser's reason.
        reason: String,
    },
    /// A manifest id that is not 64 lower-case hex digits.
    BadId {
        /// The id as given.
        id: String,
    },
    /// A file or directory could not be read.
    Io {
        /// The path that failed.
        path: String,
        /// The operating system's reason.
        reason: String,
        /// True when the path does not exist.
        not_found: bool,
    },
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ManifestError::BadGlob { glob, reason } => write!(f, "Invalid datum_glob {glob:?}: {reason}"),
            ManifestError::BadId { id } => write!(f, "not a manifest id: {id:?}"),
            ManifestError::Io { path, reason, .. } => write!(f, "Cannot read {path}: {reason}"),
        }
    }
}

impl std::error::Error for ManifestError {}

fn io_error(path: &Path, err: &io::Error) -> ManifestError {
    ManifestError::Io {
        path: path.display().to_string(),
        reason: err.to_string(),
        not_found: err.kind() == io::ErrorKind::NotFound,
    }
}

/// Compiles a datum glob. It is matched against `/` + the file's relative path; `*` and `?` stay within one path
/// segment and `**` spans any number of them, so `/**` is every file and `/*.csv` the CSV files at the top.
pub fn datum_matcher(glob: &str) -> Result<GlobMatcher, ManifestError> {
    let pattern = if glob.starts_with('/') { glob.to_owned() } else { format!("/{glob}") };
    GlobBuilder::new(&pattern)
        .literal_separator(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| ManifestError::BadGlob { glob: glob.to_owned(), reason: e.kind().to_string() })
}

struct Candidate {
    relpath: String,
    path: PathBuf,
    size: u64,
    mtime_ns: i64,
}

/// Walks `root` depth-first (symbolic links to directories are not followed, so a loop cannot hang the scan;
/// links to files are read through) and collects the files the matcher accepts.
fn collect(root: &Path, matcher: &GlobMatcher) -> Result<Vec<Candidate>, ManifestError> {
    let mut found = Vec::new();
    let mut pending = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = pending.pop() {
        let entries = fs::read_dir(&dir).map_err(|e| io_error(&dir, &e))?;
        for entry in entries {
            let entry = entry.map_err(|e| io_error(&dir, &e))?;
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let relpath = if prefix.is_empty() { name } else { format!("{prefix}/{name}") };
            let kind = entry.file_type().map_err(|e| io_error(&path, &e))?;
            if kind.is_dir() {
                pending.push((path, relpath));
                continue;
            }
            let meta = if kind.is_symlink() {
                match fs::metadata(&path) {
                    Ok(meta) if meta.is_file() => meta,
                    // A dangling link or a link to a directory holds no file data of its own.
                    _ => continue,
                }
            } else {
                entry.metadata().map_err(|e| io_error(&path, &e))?
            };
            if !meta.is_file() || !matcher.is_match(format!("/{relpath}")) {
                continue;
            }
            let mtime_ns = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
            found.push(Candidate { relpath, path, size: meta.len(), mtime_ns });
        }
    }
    found.sort_by(|a, b| a.relpath.cmp(&b.relpath));
    Ok(found)
}

fn hash_file(path: &Path) -> Result<String, ManifestError> {
    let file = fs::File::open(path).map_err(|e| io_error(path, &e))?;
    let mut hasher = blake3::Hasher::new();
    hasher.update_reader(file).map_err(|e| io_error(path, &e))?;
    Ok(hasher.finalize().to_hex().to_string())
}

/// Scans `root`: every file matching `datum_glob`, hashed unless the memo has the same size and modification
/// time for it.
pub fn scan(root: &Path, datum_glob: &str, memo: &Memo) -> Result<Scan, ManifestError> {
    let matcher = datum_matcher(datum_glob)?;
    let meta = fs::metadata(root).map_err(|e| io_error(root, &e))?;
    if !meta.is_dir() {
        return Err(ManifestError::Io {
            path: root.display().to_string(),
            reason: "not a directory".to_owned(),
            not_found: false,
        });
    }
    let candidates = collect(root, &matcher)?;
    let known = |c: &Candidate| {
        memo.get(&c.relpath)
            .filter(|(size, mtime, _)| *size == c.size && *mtime == c.mtime_ns)
            .map(|(_, _, hash)| hash.clone())
    };
    let hashed = candidates.iter().filter(|c| known(c).is_none()).count();
    let files = candidates
        .into_par_iter()
        .map(|c| {
            let hash = match known(&c) {
                Some(hash) => hash,
                None => hash_file(&c.path)?,
            };
            Ok(FileEntry { relpath: c.relpath, size: c.size, mtime_ns: c.mtime_ns, hash })
        })
        .collect::<Result<Vec<_>, ManifestError>>()?;
    Ok(Scan { files, hashed })
}

/// The difference from `old` to `new`, both given as relpath -> hash.
pub fn diff(old: &BTreeMap<String, String>, new: &BTreeMap<String, String>) -> Diff {
    let mut result = Diff::default();
    for (path, hash) in new {
        match old.get(path) {
            None => result.added.push(path.clone()),
            Some(previous) if previous != hash => result.modified.push(path.clone()),
            Some(_) => {}
        }
    }
    result.removed = old.keys().filter(|p| !new.contains_key(*p)).cloned().collect();
    result
}

fn push_json_string(out: &mut String, value: &str) {
    out.push('"');
    for ch in value.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The canonical form of a manifest: compact JSON `{"relpath": {"hash": "...", "size": n}, ...}` with paths in
/// byte order, so equal manifests have equal bytes (and so equal ids).
pub fn canonical_json(files: &[FileEntry]) -> String {
    let mut sorted: Vec<&FileEntry> = files.iter().collect();
    sorted.sort_by(|a, b| a.relpath.cmp(&b.relpath));
    let mut out = String::with_capacity(files.len() * 96 + 2);
    out.push('{');
    for (i, file) in sorted.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_json_string(&mut out, &file.relpath);
        out.push_str(":{\"hash\":");
        push_json_string(&mut out, &file.hash);
        out.push_str(&format!(",\"size\":{}}}", file.size));
    }
    out.push('}');
    out
}

/// The content address of a manifest: the BLAKE3 hash (hex) of its canonical bytes.
pub fn manifest_id(canonical: &str) -> String {
    blake3::hash(canonical.as_bytes()).to_hex().to_string()
}

/// Writes `content` to `path` so that readers see the old file or the whole new one, never a part.
fn write_atomically(path: &Path, content: &[u8]) -> Result<(), ManifestError> {
    let parent = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(|e| io_error(parent, &e))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = parent.join(format!(".{name}.{}.tmp", std::process::id()));
    fs::write(&tmp, content).map_err(|e| io_error(&tmp, &e))?;
    fs::rename(&tmp, path).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        io_error(path, &e)
    })
}

/// Reads a memo file written by [`save_memo`]; a missing or damaged memo is an empty one (it only costs a
/// re-hash: manifests never depend on it).
pub fn load_memo(path: &Path) -> Memo {
    let Ok(bytes) = fs::read(path) else { return Memo::new() };
    serde_json::from_slice::<HashMap<String, (u64, i64, String)>>(&bytes).unwrap_or_default()
}

/// Writes the memo for the next scan: relpath -> [size, mtime_ns, hash].
pub fn save_memo(path: &Path, files: &[FileEntry]) -> Result<(), ManifestError> {
    let memo: BTreeMap<&str, (u64, i64, &str)> =
        files.iter().map(|f| (f.relpath.as_str(), (f.size, f.mtime_ns, f.hash.as_str()))).collect();
    let bytes = serde_json::to_vec(&memo).expect("a map of strings and numbers always serializes");
    write_atomically(path, &bytes)
}

/// Where a manifest with this id is stored under `objects`: `objects/ab/abcdef....json`.
pub fn object_path(objects: &Path, manifest_id: &str) -> Result<PathBuf, ManifestError> {
    let valid =
        manifest_id.len() == 64 && manifest_id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !valid {
        return Err(ManifestError::BadId { id: manifest_id.to_owned() });
    }
    Ok(objects.join(&manifest_id[..2]).join(format!("{manifest_id}.json")))
}

/// Stores a manifest built elsewhere (an object store's listing, hashed by the caller) under `objects`, once per
/// id, and returns its id: the same canonical bytes and content address as a scanned directory's manifest.
pub fn store_manifest(objects: &Path, files: &[FileEntry]) -> Result<String, ManifestError> {
    let canonical = canonical_json(files);
    let manifest_id = manifest_id(&canonical);
    let target = object_path(objects, &manifest_id)?;
    if !target.exists() {
        write_atomically(&target, canonical.as_bytes())?;
    }
    Ok(manifest_id)
}

/// The paths among `relpaths` that `datum_glob` selects (for listings that do not come from a local walk).
pub fn select_datums(datum_glob: &str, relpaths: &[String]) -> Result<Vec<String>, ManifestError> {
    let matcher = datum_matcher(datum_glob)?;
    Ok(relpaths.iter().filter(|rel| matcher.is_match(format!("/{rel}"))).cloned().collect())
}

/// A streaming BLAKE3 hash, for content read from elsewhere than a local file (an object store).
#[derive(Default)]
pub struct ContentHasher(blake3::Hasher);

impl ContentHasher {
    /// Adds the next bytes of the content.
    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    /// The hash of everything added so far, lower-case hex (as in manifests).
    pub fn hex(&self) -> String {
        self.0.finalize().to_hex().to_string()
    }
}

/// What [`snapshot`] did: the manifest's id, how many files it lists, and how many had to be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotInfo {
    /// Content address of the manifest.
    pub manifest_id: String,
    /// Files in the manifest.
    pub files: usize,
    /// Files read and hashed (not taken from the memo).
    pub hashed: usize,
}

/// Scans `root` with the memo at `memo_path`, stores the manifest under `objects` (once per id) and refreshes the
/// memo: everything a producer needs, in one call.
pub fn snapshot(
    root: &Path,
    datum_glob: &str,
    memo_path: &Path,
    objects: &Path,
) -> Result<SnapshotInfo, ManifestError> {
    let scanned = scan(root, datum_glob, &load_memo(memo_path))?;
    let manifest_id = store_manifest(objects, &scanned.files)?;
    save_memo(memo_path, &scanned.files)?;
    Ok(SnapshotInfo { manifest_id, files: scanned.files.len(), hashed: scanned.hashed })
}

#[derive(serde::Deserialize)]
struct StoredFile {
    hash: String,
    size: u64,
}

/// Reads a stored manifest: relpath -> (hash, size).
pub fn read_manifest(objects: &Path, manifest_id: &str) -> Result<BTreeMap<String, (String, u64)>, ManifestError> {
    let path = object_path(objects, manifest_id)?;
    let bytes = fs::read(&path).map_err(|e| io_error(&path, &e))?;
    let stored: BTreeMap<String, StoredFile> = serde_json::from_slice(&bytes).map_err(|e| ManifestError::Io {
        path: path.display().to_string(),
        reason: format!("not a manifest: {e}"),
        not_found: false,
    })?;
    Ok(stored.into_iter().map(|(k, v)| (k, (v.hash, v.size))).collect())
}

/// The diff between two stored manifests; `old_id` None means "nothing seen yet" (every file is added).
pub fn diff_stored(objects: &Path, old_id: Option<&str>, new_id: &str) -> Result<Diff, ManifestError> {
    let hashes = |m: BTreeMap<String, (String, u64)>| -> BTreeMap<String, String> {
        m.into_iter().map(|(k, (h, _))| (k, h)).collect()
    };
    let new = hashes(read_manifest(objects, new_id)?);
    let old = match old_id {
        Some(id) => hashes(read_manifest(objects, id)?),
        None => BTreeMap::new(),
    };
    Ok(diff(&old, &new))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> TempDir {
            let path = std::env::temp_dir().join(format!("riir-manifest-{name}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&path);
            fs::create_dir_all(&path).unwrap();
            TempDir(path)
        }

        fn write(&self, rel: &str, content: &[u8]) {
            let path = self.0.join(rel);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::File::create(path).unwrap().write_all(content).unwrap();
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn as_map(scan: &Scan) -> BTreeMap<String, String> {
        scan.files.iter().map(|f| (f.relpath.clone(), f.hash.clone())).collect()
    }

    #[test]
    fn scans_nested_files_sorted_with_blake3_hashes() {
        let dir = TempDir::new("nested");
        dir.write("b.txt", b"two");
        dir.write("a/x.csv", b"one");
        let scan = scan(&dir.0, "/**", &Memo::new()).unwrap();
        let paths: Vec<&str> = scan.files.iter().map(|f| f.relpath.as_str()).collect();
        assert_eq!(paths, ["a/x.csv", "b.txt"]);
        assert_eq!(scan.files[0].hash, blake3::hash(b"one").to_hex().to_string());
        assert_eq!(scan.files[1].size, 3);
        assert_eq!(scan.hashed, 2);
    }

    #[test]
    fn datum_glob_selects_files() {
        let dir = TempDir::new("glob");
        dir.write("top.csv", b"1");
        dir.write("sub/deep.csv", b"2");
        dir.write("sub/note.txt", b"3");
        let top = scan(&dir.0, "/*.csv", &Memo::new()).unwrap();
        assert_eq!(top.files.iter().map(|f| f.relpath.as_str()).collect::<Vec<_>>(), ["top.csv"]);
        let csv = scan(&dir.0, "/**/*.csv", &Memo::new()).unwrap();
        assert_eq!(csv.files.len(), 2);
        assert!(matches!(scan(&dir.0, "/[", &Memo::new()), Err(ManifestError::BadGlob { .. })));
    }

    #[test]
    fn memo_skips_unchanged_files_and_a_stale_memo_is_ignored() {
        let dir = TempDir::new("memo");
        dir.write("a", b"aaa");
        dir.write("b", b"bbb");
        let first = scan(&dir.0, "/**", &Memo::new()).unwrap();
        let mut memo: Memo =
            first.files.iter().map(|f| (f.relpath.clone(), (f.size, f.mtime_ns, f.hash.clone()))).collect();
        let again = scan(&dir.0, "/**", &memo).unwrap();
        assert_eq!(again.hashed, 0);
        assert_eq!(again.files, first.files);
        // A memo entry whose size no longer matches is not trusted.
        memo.get_mut("a").unwrap().0 = 999;
        assert_eq!(scan(&dir.0, "/**", &memo).unwrap().hashed, 1);
    }

    #[test]
    fn diff_reports_added_modified_removed() {
        let dir = TempDir::new("diff");
        dir.write("keep", b"same");
        dir.write("change", b"old");
        dir.write("gone", b"x");
        let before = as_map(&scan(&dir.0, "/**", &Memo::new()).unwrap());
        dir.write("change", b"new");
        dir.write("new", b"y");
        fs::remove_file(dir.0.join("gone")).unwrap();
        let after = as_map(&scan(&dir.0, "/**", &Memo::new()).unwrap());
        let d = diff(&before, &after);
        assert_eq!(d.added, ["new"]);
        assert_eq!(d.modified, ["change"]);
        assert_eq!(d.removed, ["gone"]);
        assert!(diff(&after, &after).is_empty());
    }

    #[test]
    fn canonical_json_is_order_independent_and_escaped() {
        let a = FileEntry { relpath: "b\"q".into(), size: 1, mtime_ns: 5, hash: "h1".into() };
        let b = FileEntry { relpath: "a".into(), size: 2, mtime_ns: 6, hash: "h2".into() };
        let one = canonical_json(&[a.clone(), b.clone()]);
        assert_eq!(one, canonical_json(&[b, a]));
        assert_eq!(one, r#"{"a":{"hash":"h2","size":2},"b\"q":{"hash":"h1","size":1}}"#);
        assert_eq!(manifest_id(&one).len(), 64);
    }

    #[test]
    fn snapshot_stores_once_and_reuses_the_memo() {
        let dir = TempDir::new("snapshot");
        dir.write("data/a", b"1");
        dir.write("data/b/c", b"2");
        let (data, memo, objects) = (dir.0.join("data"), dir.0.join("memo.json"), dir.0.join("objects"));
        let first = snapshot(&data, "/**", &memo, &objects).unwrap();
        assert_eq!((first.files, first.hashed), (2, 2));
        let again = snapshot(&data, "/**", &memo, &objects).unwrap();
        assert_eq!((again.manifest_id.as_str(), again.hashed), (first.manifest_id.as_str(), 0));
        let stored = read_manifest(&objects, &first.manifest_id).unwrap();
        assert_eq!(stored["b/c"], (blake3::hash(b"2").to_hex().to_string(), 1));
        dir.write("data/d", b"3");
        let third = snapshot(&data, "/**", &memo, &objects).unwrap();
        let d = diff_stored(&objects, Some(&first.manifest_id), &third.manifest_id).unwrap();
        assert_eq!(d.added, ["d"]);
        assert_eq!(diff_stored(&objects, None, &first.manifest_id).unwrap().added, ["a", "b/c"]);
        assert!(matches!(read_manifest(&objects, "../x"), Err(ManifestError::BadId { .. })));
        fs::write(&memo, b"{damaged").unwrap();
        assert_eq!(snapshot(&data, "/**", &memo, &objects).unwrap().hashed, 3);
    }

    #[test]
    fn a_stored_listing_has_the_id_of_the_same_scanned_directory() {
        let dir = TempDir::new("listing");
        dir.write("data/a.csv", b"1");
        dir.write("data/b/c.txt", b"22");
        let objects = dir.0.join("objects");
        let scanned = snapshot(&dir.0.join("data"), "/**", &dir.0.join("memo.json"), &objects).unwrap();
        let mut hasher = ContentHasher::default();
        hasher.update(b"2");
        hasher.update(b"2");
        let listed = [
            FileEntry { relpath: "b/c.txt".into(), size: 2, mtime_ns: 0, hash: hasher.hex() },
            FileEntry { relpath: "a.csv".into(), size: 1, mtime_ns: 0, hash: blake3::hash(b"1").to_hex().to_string() },
        ];
        assert_eq!(store_manifest(&objects, &listed).unwrap(), scanned.manifest_id);
        let all = ["a.csv".to_owned(), "b/c.txt".to_owned(), "b/d.csv".to_owned()];
        assert_eq!(select_datums("/**/*.csv", &all).unwrap(), ["a.csv", "b/d.csv"]);
        assert_eq!(select_datums("/*.csv", &all).unwrap(), ["a.csv"]);
    }

    #[test]
    fn missing_root_is_a_clear_error() {
        let err = scan(Path::new("/nonexistent/riir"), "/**", &Memo::new()).unwrap_err();
        assert!(matches!(err, ManifestError::Io { not_found: true, .. }));
        assert!(err.to_string().contains("/nonexistent/riir"));
    }
}
