//! AdmissionReview request bodies (`review::parse`), then the images the
//! object would run (`images::images`, `images::old_images`): what anyone
//! who reaches the webhook sends.
//!
//! Beyond "no panic": every image found sits where its JSON pointer says,
//! as the exact string reported, since a JSONPatch pin replaces it there.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use vouch_webhook::images::{images, old_images, ImageSite};
use vouch_webhook::review::parse;

fn check(object: Option<&Value>, sites: &[ImageSite]) {
    for site in sites {
        let at = object.and_then(|o| o.pointer(&site.pointer));
        assert_eq!(
            at.and_then(Value::as_str),
            Some(site.image.as_str()),
            "image at {}",
            site.pointer
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(request) = parse(data) else {
        return;
    };
    assert!(!request.uid.is_empty());
    if let Ok(sites) = images(&request) {
        check(request.object.as_ref(), &sites);
    }
    if let Ok(sites) = old_images(&request) {
        check(request.old_object.as_ref(), &sites);
    }
});
