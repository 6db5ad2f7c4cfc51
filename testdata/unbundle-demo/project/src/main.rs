//! Compresses a line and inflates it back with miniz_oxide: whichever build
//! of the crate the project is linked against, vendored or Debian's.
fn main() {
    let text = b"unbundled onto the distribution's build\n";
    let packed = miniz_oxide::deflate::compress_to_vec(text, 6);
    let unpacked = miniz_oxide::inflate::decompress_to_vec(&packed).expect("inflate");
    assert_eq!(unpacked, text);
    print!("{}", String::from_utf8_lossy(&unpacked));
}
