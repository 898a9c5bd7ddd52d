//! Headless output formats (text, json, junit) consuming the executor event stream.
