// The AWS shared files, ~/.aws/config and ~/.aws/credentials, read the way the AWS SDKs and
// the CLI read them. One parser serves both files; SharedConfig joins them into profiles for
// the credentials chain (aws/credentials.h) and for region and endpoint resolution
// (aws/endpoints.h).
//
// Format (a subset of INI, as botocore's parser accepts it):
//
//   # full-line comments start with '#' or ';' (leading whitespace allowed)
//   [default]                          ; text after ']' is ignored
//   region = eu-west-1                 # a value's comment needs whitespace before '#'/';'
//   s3 =                               <- empty value followed by more-indented lines:
//     addressing_style = path          <- a sub-section {"s3": {"addressing_style": "path"}}
//   [profile dev]                      <- config file: "profile NAME" (or "default")
//   [dev]                              <- credentials file: "NAME"
//   [services local]                   <- config file: per-service settings (endpoint_url)
//
// Keys are case-insensitive (stored lower-cased, as botocore does); section and profile names
// are case-sensitive. A section that appears twice is merged, later keys winning. An indented
// line after a key with a non-empty value continues that value (joined with '\n').
//
// Thread safety: values; share read-only.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "base/env.h"
#include "base/status.h"

namespace steady::aws {

struct IniSection {
  std::map<std::string, std::string, std::less<>> values;
  std::map<std::string, std::map<std::string, std::string, std::less<>>, std::less<>> subsections;

  // The value of `key` (lower-case), or nullptr.
  const std::string* Find(std::string_view key) const;
  // The value of `key` in sub-section `sub`, or nullptr.
  const std::string* FindIn(std::string_view sub, std::string_view key) const;
};

// Section name (trimmed, as written between the brackets) → section.
using IniFile = std::map<std::string, IniSection, std::less<>>;

// Parses `text`. kInvalidArgument "<source>:<line>: <what>" for a line that is neither a
// section header, a comment, `key = value`, nor a continuation; for a key before any section;
// and for a sub-section line without '='.
Result<IniFile> ParseIni(std::string_view text, std::string_view source);

// A profile: the config file's [profile NAME] (or [default]) overlaid with the credentials
// file's [NAME], so that keys in the credentials file win.
struct AwsProfile {
  std::string name;
  IniSection settings;
  bool in_credentials_file = false;
  bool in_config_file = false;
};

class SharedConfig {
 public:
  SharedConfig() = default;

  // Reads the credentials file ($AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials) and
  // the config file ($AWS_CONFIG_FILE, else ~/.aws/config); a leading "~/" expands to $HOME.
  // A file that does not exist reads as empty. kInvalidArgument if one cannot be read or does
  // not parse (the message names the file and line).
  static Result<SharedConfig> Load(const Environment& env);

  // From already-read contents (tests, and callers that hold the text).
  static Result<SharedConfig> FromText(std::string_view credentials_text,
                                       std::string_view config_text,
                                       std::string credentials_path = "credentials",
                                       std::string config_path = "config");

  // nullptr if neither file has the profile.
  const AwsProfile* FindProfile(std::string_view name) const;
  // The config file's [services NAME] section, or nullptr.
  const IniSection* FindServices(std::string_view name) const;

  const std::string& credentials_path() const { return credentials_path_; }
  const std::string& config_path() const { return config_path_; }

 private:
  void AddFiles(const IniFile& credentials, const IniFile& config);

  std::string credentials_path_;
  std::string config_path_;
  std::map<std::string, AwsProfile, std::less<>> profiles_;
  std::map<std::string, IniSection, std::less<>> services_;
};

// The profile to use: `explicit_profile` if non-empty, else $AWS_PROFILE if non-empty, else
// "default".
std::string SelectProfileName(const Environment& env, std::string_view explicit_profile);
// True when the profile was chosen by the caller or $AWS_PROFILE rather than by default (a
// chosen profile that does not exist is an error; a missing "default" is not).
bool ProfileChosenExplicitly(const Environment& env, std::string_view explicit_profile);

// "true"/"TRUE"/"True" → true; anything else false (the SDKs' boolean settings).
bool IsTrueSetting(std::string_view value);

}  // namespace steady::aws
