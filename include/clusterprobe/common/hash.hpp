#pragma once
// Content identities: run ids, data identities, TorchScript files.
#include <string>

namespace cp {

/// Local. 64-bit FNV-1a of `text` as 16 lower-case hex digits.
std::string content_hash(const std::string& text);

}  // namespace cp
