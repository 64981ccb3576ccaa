// What reaches a terminal from a user's file: escaped and short.
#include <gtest/gtest.h>

#include "clusterprobe/common/text.hpp"

namespace {

TEST(Text, PrintableEscapesControlsButKeepsNewlinesAndTabs) {
  EXPECT_EQ(cp::printable("a\x1b[2Jb\x07\r\x7f"), "a\\x1b[2Jb\\x07\\r\\x7f");
  EXPECT_EQ(cp::printable("line 1\n\tline 2"), "line 1\n\tline 2");
  EXPECT_FALSE(cp::has_control(cp::printable(std::string("\x01\x02\x1b\x7f", 4))));
  // Bytes above 0x7f are UTF-8, not controls: names in other scripts stay.
  EXPECT_EQ(cp::printable("Ankle boot \xc3\xa9"), "Ankle boot \xc3\xa9");
}

TEST(Text, PrintableCutsEachLongLine) {
  const std::string line(5000, 'x');
  const std::string out = cp::printable(line + "\nshort\n" + line, 100);
  EXPECT_EQ(out, std::string(100, 'x') + "... (4900 more bytes)\nshort\n" + std::string(100, 'x') +
                     "... (4900 more bytes)");
  EXPECT_EQ(cp::printable(std::string(100, 'y'), 100), std::string(100, 'y'));
}

TEST(Text, QuotedExcerptEscapesEverythingAndSaysTheSize) {
  EXPECT_EQ(cp::quoted_excerpt("a\nb\tc"), "'a\\nb\\tc'");
  EXPECT_EQ(cp::quoted_excerpt(std::string(70, 'z'), 60), "'" + std::string(60, 'z') + "'... (10 more bytes)");
  EXPECT_EQ(cp::quoted_excerpt(""), "''");
}

}  // namespace
