#include "aws/aws_config_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <utility>

namespace steady::aws {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (IsBlank(s.front()) || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (IsBlank(s.back()) || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The SDKs (Java v2, Go v2, Rust) treat '#' or ';' as the start of a comment inside a value
// only when whitespace precedes it, so that values such as URLs with fragments survive.
std::string_view StripValueComment(std::string_view value) {
  for (size_t i = 1; i < value.size(); ++i) {
    if ((value[i] == '#' || value[i] == ';') && IsBlank(value[i - 1])) return value.substr(0, i);
  }
  if (!value.empty() && (value[0] == '#' || value[0] == ';')) return {};
  return value;
}

Status LineError(std::string_view source, int line, std::string_view what) {
  return InvalidArgumentError(std::string(source) + ":" + std::to_string(line) + ": " +
                              std::string(what));
}

void Overlay(IniSection& dst, const IniSection& src) {
  for (const auto& [k, v] : src.values) dst.values[k] = v;
  for (const auto& [k, sub] : src.subsections) {
    for (const auto& [sk, sv] : sub) dst.subsections[k][sk] = sv;
  }
}

std::string ExpandHome(const Environment& env, std::string path) {
  if (path == "~" || path.starts_with("~/")) {
    std::string home = env.Home();
    if (!home.empty()) return home + path.substr(1);
  }
  return path;
}

// nullopt when the file does not exist (the SDKs treat a missing file as empty).
Result<std::optional<std::string>> ReadFileIfExists(const std::string& path) {
  std::error_code ec;
  if (path.empty() || !std::filesystem::exists(path, ec)) return std::optional<std::string>();
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    return InvalidArgumentError("cannot open " + path + ": " + std::strerror(errno));
  }
  std::string text;
  char buf[8192];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) text.append(buf, n);
  bool failed = std::ferror(f) != 0;
  int err = errno;
  std::fclose(f);
  if (failed) return InvalidArgumentError("cannot read " + path + ": " + std::strerror(err));
  return std::optional<std::string>(std::move(text));
}

}  // namespace

const std::string* IniSection::Find(std::string_view key) const {
  auto it = values.find(key);
  return it == values.end() ? nullptr : &it->second;
}

const std::string* IniSection::FindIn(std::string_view sub, std::string_view key) const {
  auto it = subsections.find(sub);
  if (it == subsections.end()) return nullptr;
  auto kt = it->second.find(key);
  return kt == it->second.end() ? nullptr : &kt->second;
}

Result<IniFile> ParseIni(std::string_view text, std::string_view source) {
  IniFile file;
  IniSection* section = nullptr;
  // The key that indented lines continue, and its indentation.
  std::string key;
  size_t key_indent = 0;
  bool key_is_subsection = false;

  int line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    if (line_no == 1 && line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);  // UTF-8 BOM

    size_t indent = 0;
    while (indent < line.size() && IsBlank(line[indent])) ++indent;
    std::string_view stripped = Trim(line);
    if (stripped.empty() || stripped[0] == '#' || stripped[0] == ';') continue;

    if (section != nullptr && !key.empty() && indent > key_indent) {
      if (key_is_subsection) {
        size_t eq = stripped.find('=');
        if (eq == std::string_view::npos) {
          return LineError(source, line_no,
                           "expected 'key = value' in the '" + key + "' sub-section, got '" +
                               std::string(stripped) + "'");
        }
        std::string sub_key = Lower(Trim(stripped.substr(0, eq)));
        if (sub_key.empty()) return LineError(source, line_no, "empty key");
        section->subsections[key][sub_key] =
            std::string(Trim(StripValueComment(stripped.substr(eq + 1))));
      } else {
        section->values[key] += "\n" + std::string(stripped);
      }
      continue;
    }

    if (stripped[0] == '[') {
      size_t close = stripped.find(']');
      if (close == std::string_view::npos) {
        return LineError(source, line_no, "section header without ']'");
      }
      std::string name(Trim(stripped.substr(1, close - 1)));
      if (name.empty()) return LineError(source, line_no, "empty section name");
      section = &file[name];
      key.clear();
      continue;
    }

    size_t eq = stripped.find('=');
    if (eq == std::string_view::npos) {
      return LineError(
          source, line_no,
          "expected '[section]' or 'key = value', got '" + std::string(stripped) + "'");
    }
    if (section == nullptr) {
      return LineError(source, line_no, "'key = value' before any [section]");
    }
    key = Lower(Trim(stripped.substr(0, eq)));
    if (key.empty()) return LineError(source, line_no, "empty key");
    std::string value(Trim(StripValueComment(stripped.substr(eq + 1))));
    key_indent = indent;
    key_is_subsection = value.empty();
    if (!key_is_subsection) section->subsections.erase(key);
    section->values[key] = std::move(value);
  }
  return file;
}

Result<SharedConfig> SharedConfig::Load(const Environment& env) {
  std::string home = env.Home();
  std::string credentials_path = env.Get("AWS_SHARED_CREDENTIALS_FILE").value_or("");
  if (credentials_path.empty() && !home.empty()) credentials_path = home + "/.aws/credentials";
  std::string config_path = env.Get("AWS_CONFIG_FILE").value_or("");
  if (config_path.empty() && !home.empty()) config_path = home + "/.aws/config";
  credentials_path = ExpandHome(env, std::move(credentials_path));
  config_path = ExpandHome(env, std::move(config_path));

  ASSIGN_OR_RETURN(std::optional<std::string> credentials_text, ReadFileIfExists(credentials_path));
  ASSIGN_OR_RETURN(std::optional<std::string> config_text, ReadFileIfExists(config_path));
  return FromText(credentials_text.value_or(""), config_text.value_or(""),
                  std::move(credentials_path), std::move(config_path));
}

Result<SharedConfig> SharedConfig::FromText(std::string_view credentials_text,
                                            std::string_view config_text,
                                            std::string credentials_path, std::string config_path) {
  ASSIGN_OR_RETURN(IniFile credentials, ParseIni(credentials_text, credentials_path));
  ASSIGN_OR_RETURN(IniFile config, ParseIni(config_text, config_path));
  SharedConfig shared;
  shared.credentials_path_ = std::move(credentials_path);
  shared.config_path_ = std::move(config_path);
  shared.AddFiles(credentials, config);
  return shared;
}

void SharedConfig::AddFiles(const IniFile& credentials, const IniFile& config) {
  auto profile = [&](const std::string& name) -> AwsProfile& {
    AwsProfile& p = profiles_[name];
    p.name = name;
    return p;
  };
  // Config file: [default] first, so that an explicit [profile default] overrides it.
  if (auto it = config.find("default"); it != config.end()) {
    AwsProfile& p = profile("default");
    Overlay(p.settings, it->second);
    p.in_config_file = true;
  }
  for (const auto& [section_name, section] : config) {
    std::string_view name = section_name;
    std::string_view kind = name.substr(0, name.find_first_of(" \t"));
    if (kind.size() == name.size()) continue;  // "default" (done) or not a profile
    std::string rest(Trim(name.substr(kind.size())));
    if (kind == "profile") {
      AwsProfile& p = profile(rest);
      Overlay(p.settings, section);
      p.in_config_file = true;
    } else if (kind == "services") {
      Overlay(services_[rest], section);
    }
    // Other kinds ("sso-session NAME", ...) are not used by steady.
  }
  // Credentials file: every section is a profile, and its keys win over the config file's.
  for (const auto& [name, section] : credentials) {
    AwsProfile& p = profile(name);
    Overlay(p.settings, section);
    p.in_credentials_file = true;
  }
}

const AwsProfile* SharedConfig::FindProfile(std::string_view name) const {
  auto it = profiles_.find(name);
  return it == profiles_.end() ? nullptr : &it->second;
}

const IniSection* SharedConfig::FindServices(std::string_view name) const {
  auto it = services_.find(name);
  return it == services_.end() ? nullptr : &it->second;
}

std::string SelectProfileName(const Environment& env, std::string_view explicit_profile) {
  if (!explicit_profile.empty()) return std::string(explicit_profile);
  std::string from_env = env.Get("AWS_PROFILE").value_or("");
  if (!from_env.empty()) return from_env;
  return "default";
}

bool ProfileChosenExplicitly(const Environment& env, std::string_view explicit_profile) {
  return !explicit_profile.empty() || !env.Get("AWS_PROFILE").value_or("").empty();
}

bool IsTrueSetting(std::string_view value) { return Lower(Trim(value)) == "true"; }

}  // namespace steady::aws
