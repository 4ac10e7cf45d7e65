#include "aws/aws_config_file.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace steady::aws {
namespace {

using ::testing::HasSubstr;

TEST(ParseIniTest, SectionsKeysCommentsAndWhitespace) {
  constexpr std::string_view kText =
      "# leading comment\n"
      "; another comment\n"
      "\n"
      "[default]   ; trailing comment on a header\n"
      "  aws_access_key_id=AKIDEXAMPLE\n"
      "AWS_Secret_Access_Key   =   secret/with+chars==   \n"
      "\t# indented comment\n"
      "region = eu-west-1 # comment after whitespace\n"
      "url = http://host/path#fragment;x\n"
      "semi = value ;comment\n"
      "empty_after_comment = # nothing\n"
      "[ profile   dev ]\n"
      "region=us-east-1\n";
  Result<IniFile> ini = ParseIni(kText, "test.ini");
  ASSERT_TRUE(ini.ok()) << ini.status().ToString();
  ASSERT_EQ(ini->size(), 2u);
  const IniSection& def = ini->at("default");
  EXPECT_EQ(*def.Find("aws_access_key_id"), "AKIDEXAMPLE");
  EXPECT_EQ(*def.Find("aws_secret_access_key"), "secret/with+chars==");
  EXPECT_EQ(*def.Find("region"), "eu-west-1");
  EXPECT_EQ(*def.Find("url"), "http://host/path#fragment;x");
  EXPECT_EQ(*def.Find("semi"), "value");
  EXPECT_EQ(*def.Find("empty_after_comment"), "");
  EXPECT_EQ(def.Find("AWS_Secret_Access_Key"), nullptr) << "keys are stored lower-case";
  EXPECT_EQ(*ini->at("profile   dev").Find("region"), "us-east-1");
}

TEST(ParseIniTest, SubsectionsAndContinuations) {
  constexpr std::string_view kText =
      "[default]\n"
      "s3 =\n"
      "  addressing_style = path\n"
      "  # a comment inside\n"
      "  Endpoint_URL = http://127.0.0.1:4566  # local\n"
      "region = us-west-2\n"
      "multi = first\n"
      "   second\n"
      "after = x\n";
  Result<IniFile> ini = ParseIni(kText, "config");
  ASSERT_TRUE(ini.ok()) << ini.status().ToString();
  const IniSection& s = ini->at("default");
  EXPECT_EQ(*s.FindIn("s3", "addressing_style"), "path");
  EXPECT_EQ(*s.FindIn("s3", "endpoint_url"), "http://127.0.0.1:4566");
  EXPECT_EQ(s.FindIn("s3", "region"), nullptr);
  EXPECT_EQ(*s.Find("region"), "us-west-2");
  EXPECT_EQ(*s.Find("multi"), "first\nsecond");
  EXPECT_EQ(*s.Find("after"), "x");
}

TEST(ParseIniTest, DuplicateSectionsMergeLaterWins) {
  Result<IniFile> ini = ParseIni("[a]\nx = 1\ny = 1\n[b]\nz = 3\n[a]\ny = 2\n", "f");
  ASSERT_TRUE(ini.ok());
  EXPECT_EQ(*ini->at("a").Find("x"), "1");
  EXPECT_EQ(*ini->at("a").Find("y"), "2");
}

TEST(ParseIniTest, CrlfAndBom) {
  Result<IniFile> ini = ParseIni("\xEF\xBB\xBF[default]\r\nregion = ap-northeast-1\r\n", "f");
  ASSERT_TRUE(ini.ok()) << ini.status().ToString();
  EXPECT_EQ(*ini->at("default").Find("region"), "ap-northeast-1");
}

TEST(ParseIniTest, MalformedLinesNameFileAndLine) {
  struct Case {
    std::string text;
    std::string expected;
  };
  for (const Case& c : std::vector<Case>{
           {"x = 1\n", "f.ini:1: 'key = value' before any [section]"},
           {"[a]\nx = 1\n[b\n", "f.ini:3: section header without ']'"},
           {"[a]\n\njust words\n", "f.ini:3: expected '[section]' or 'key = value'"},
           {"[]\n", "f.ini:1: empty section name"},
           {"[a]\n = v\n", "f.ini:2: empty key"},
           {"[a]\ns3 =\n  novalue\n", "f.ini:3: expected 'key = value' in the 's3' sub-section"},
       }) {
    Result<IniFile> ini = ParseIni(c.text, "f.ini");
    ASSERT_FALSE(ini.ok()) << c.text;
    EXPECT_EQ(ini.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(ini.status().message(), HasSubstr(c.expected)) << c.text;
  }
}

TEST(SharedConfigTest, ProfilesFromBothFiles) {
  constexpr std::string_view kCredentials =
      "[default]\n"
      "aws_access_key_id = AKID_CRED\n"
      "[dev]\n"
      "aws_access_key_id = AKID_DEV_CRED\n"
      "[profile weird]\n"
      "aws_access_key_id = AKID_WEIRD\n";
  constexpr std::string_view kConfig =
      "[default]\n"
      "aws_access_key_id = AKID_CONF\n"
      "region = eu-west-1\n"
      "[profile dev]\n"
      "aws_access_key_id = AKID_DEV_CONF\n"
      "region = us-east-2\n"
      "[only_in_config_without_prefix]\n"
      "region = sa-east-1\n"
      "[profile   spaced  ]\n"
      "region = ca-central-1\n"
      "[services local]\n"
      "s3 =\n"
      "  endpoint_url = http://127.0.0.1:4566\n"
      "[sso-session corp]\n"
      "sso_region = us-east-1\n";
  Result<SharedConfig> shared = SharedConfig::FromText(kCredentials, kConfig);
  ASSERT_TRUE(shared.ok()) << shared.status().ToString();

  const AwsProfile* def = shared->FindProfile("default");
  ASSERT_NE(def, nullptr);
  EXPECT_EQ(*def->settings.Find("aws_access_key_id"), "AKID_CRED") << "credentials file wins";
  EXPECT_EQ(*def->settings.Find("region"), "eu-west-1") << "other keys come from config";
  EXPECT_TRUE(def->in_credentials_file);
  EXPECT_TRUE(def->in_config_file);

  const AwsProfile* dev = shared->FindProfile("dev");
  ASSERT_NE(dev, nullptr);
  EXPECT_EQ(*dev->settings.Find("aws_access_key_id"), "AKID_DEV_CRED");
  EXPECT_EQ(*dev->settings.Find("region"), "us-east-2");

  EXPECT_EQ(shared->FindProfile("only_in_config_without_prefix"), nullptr)
      << "config sections need the 'profile ' prefix";
  EXPECT_EQ(shared->FindProfile("weird"), nullptr)
      << "the credentials file takes section names literally";
  ASSERT_NE(shared->FindProfile("profile weird"), nullptr);
  ASSERT_NE(shared->FindProfile("spaced"), nullptr);
  EXPECT_EQ(*shared->FindProfile("spaced")->settings.Find("region"), "ca-central-1");
  EXPECT_EQ(shared->FindProfile("corp"), nullptr);

  const IniSection* services = shared->FindServices("local");
  ASSERT_NE(services, nullptr);
  EXPECT_EQ(*services->FindIn("s3", "endpoint_url"), "http://127.0.0.1:4566");
  EXPECT_EQ(shared->FindServices("other"), nullptr);
}

TEST(SharedConfigTest, ExplicitProfileDefaultOverridesDefaultSection) {
  Result<SharedConfig> shared = SharedConfig::FromText(
      "", "[profile default]\nregion = us-west-1\n[default]\nregion = us-east-1\noutput = json\n");
  ASSERT_TRUE(shared.ok());
  const AwsProfile* def = shared->FindProfile("default");
  ASSERT_NE(def, nullptr);
  EXPECT_EQ(*def->settings.Find("region"), "us-west-1");
  EXPECT_EQ(*def->settings.Find("output"), "json");
}

class SharedConfigFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "steady-cfg-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, std::string_view text) {
    std::filesystem::path p = dir_ / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }

  std::filesystem::path dir_;
};

TEST_F(SharedConfigFilesTest, DefaultPathsUnderHome) {
  Write(".aws/credentials", "[default]\naws_access_key_id = FROM_HOME\n");
  Write(".aws/config", "[default]\nregion = eu-north-1\n");
  MapEnvironment env({{"HOME", dir_.string()}});
  Result<SharedConfig> shared = SharedConfig::Load(env);
  ASSERT_TRUE(shared.ok()) << shared.status().ToString();
  EXPECT_EQ(shared->credentials_path(), (dir_ / ".aws/credentials").string());
  EXPECT_EQ(shared->config_path(), (dir_ / ".aws/config").string());
  const AwsProfile* def = shared->FindProfile("default");
  ASSERT_NE(def, nullptr);
  EXPECT_EQ(*def->settings.Find("aws_access_key_id"), "FROM_HOME");
  EXPECT_EQ(*def->settings.Find("region"), "eu-north-1");
}

TEST_F(SharedConfigFilesTest, EnvironmentPathsWithTilde) {
  Write("elsewhere/creds", "[x]\naws_access_key_id = A\n");
  Write("elsewhere/conf", "[profile y]\nregion = me-south-1\n");
  Write(".aws/credentials", "[ignored]\naws_access_key_id = B\n");
  MapEnvironment env({{"HOME", dir_.string()},
                      {"AWS_SHARED_CREDENTIALS_FILE", "~/elsewhere/creds"},
                      {"AWS_CONFIG_FILE", (dir_ / "elsewhere/conf").string()}});
  Result<SharedConfig> shared = SharedConfig::Load(env);
  ASSERT_TRUE(shared.ok()) << shared.status().ToString();
  EXPECT_EQ(shared->credentials_path(), (dir_ / "elsewhere/creds").string());
  EXPECT_NE(shared->FindProfile("x"), nullptr);
  EXPECT_NE(shared->FindProfile("y"), nullptr);
  EXPECT_EQ(shared->FindProfile("ignored"), nullptr);
}

TEST_F(SharedConfigFilesTest, MissingFilesAreEmpty) {
  MapEnvironment env({{"HOME", (dir_ / "nobody").string()}});
  Result<SharedConfig> shared = SharedConfig::Load(env);
  ASSERT_TRUE(shared.ok()) << shared.status().ToString();
  EXPECT_EQ(shared->FindProfile("default"), nullptr);
}

TEST_F(SharedConfigFilesTest, MalformedOrUnreadableFileIsAnError) {
  std::string bad = Write("bad", "[default]\nregion = x\noops\n");
  MapEnvironment env({{"HOME", dir_.string()}, {"AWS_CONFIG_FILE", bad}});
  Result<SharedConfig> shared = SharedConfig::Load(env);
  ASSERT_FALSE(shared.ok());
  EXPECT_EQ(shared.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(shared.status().message(), HasSubstr(bad + ":3:"));

  std::filesystem::create_directories(dir_ / "adir");
  MapEnvironment env2(
      {{"HOME", dir_.string()}, {"AWS_SHARED_CREDENTIALS_FILE", (dir_ / "adir").string()}});
  Result<SharedConfig> dir_as_file = SharedConfig::Load(env2);
  ASSERT_FALSE(dir_as_file.ok());
  EXPECT_THAT(dir_as_file.status().message(), HasSubstr((dir_ / "adir").string()));
}

TEST(ProfileSelectionTest, ExplicitThenEnvironmentThenDefault) {
  MapEnvironment none;
  MapEnvironment with_env(std::map<std::string, std::string>{{"AWS_PROFILE", "from-env"}});
  MapEnvironment empty_env(std::map<std::string, std::string>{{"AWS_PROFILE", ""}});
  EXPECT_EQ(SelectProfileName(none, ""), "default");
  EXPECT_FALSE(ProfileChosenExplicitly(none, ""));
  EXPECT_EQ(SelectProfileName(with_env, ""), "from-env");
  EXPECT_TRUE(ProfileChosenExplicitly(with_env, ""));
  EXPECT_EQ(SelectProfileName(with_env, "flag"), "flag");
  EXPECT_TRUE(ProfileChosenExplicitly(none, "flag"));
  EXPECT_EQ(SelectProfileName(empty_env, ""), "default");
  EXPECT_FALSE(ProfileChosenExplicitly(empty_env, ""));
}

TEST(IsTrueSettingTest, CaseInsensitiveTrueOnly) {
  EXPECT_TRUE(IsTrueSetting("true"));
  EXPECT_TRUE(IsTrueSetting("TRUE"));
  EXPECT_TRUE(IsTrueSetting(" True "));
  EXPECT_FALSE(IsTrueSetting("1"));
  EXPECT_FALSE(IsTrueSetting("yes"));
  EXPECT_FALSE(IsTrueSetting(""));
  EXPECT_FALSE(IsTrueSetting("false"));
}

}  // namespace
}  // namespace steady::aws
