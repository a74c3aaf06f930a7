//! Where the workspace is and where `scripts/setup` put the pinned tools the tests run.

use std::path::{Path, PathBuf};

/// A pinned tool is missing: the tests never skip silently, they say how to get it.
#[derive(Debug, thiserror::Error)]
#[error("{} is missing: run scripts/setup (it installs the pinned tools into .tools/)", path.display())]
pub struct MissingTool {
    /// Where the tool was looked for.
    pub path: PathBuf,
}

/// The Cargo workspace root (this crate lives in `<root>/tests/e2e`).
pub fn workspace_root() -> PathBuf {
    // The manifest directory is fixed at compile time, so this holds wherever the tests run from.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// A file in the project's Python tool venv, `.tools/py/bin/<name>` (python3, moto_server, cfn-lint...).
pub fn py_tool(name: &str) -> Result<PathBuf, MissingTool> {
    let path = workspace_root().join(".tools/py/bin").join(name);
    if path.is_file() {
        Ok(path)
    } else {
        Err(MissingTool { path })
    }
}
