//! Makes Cargo rebuild this crate when anything under the migrations folder changes, including a
//! new version folder, which `include_str!` alone would not notice.
fn main() {
    println!("cargo:rerun-if-changed=../sql/versions");
}
