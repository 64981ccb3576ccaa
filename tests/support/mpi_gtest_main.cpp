// gtest main for tests run under mpiexec: rank 0 prints gtest's usual report,
// every other rank prints its own failures and skips as they happen (each line
// prefixed with the rank), and a failure on any rank fails the whole test (results are
// max-reduced into the exit code).
#include <gtest/gtest.h>
#include <mpi.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>
#include <string>

namespace {

// One write(2) per report: the ranks share mpiexec's stderr, and a report
// split over several writes would interleave with another rank's.
void write_prefixed(int rank, const std::string& text) {
  std::ostringstream out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) out << "rank " << rank << ": " << line << '\n';
  const std::string s = out.str();
  for (std::size_t done = 0; done < s.size();) {
    const ssize_t n = ::write(STDERR_FILENO, s.data() + done, s.size() - done);
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

// What gtest's default printer shows of a failure, for a rank whose default
// printer is removed (N copies of every passing test's lines would bury them).
class RankFailurePrinter : public ::testing::EmptyTestEventListener {
 public:
  explicit RankFailurePrinter(int rank) : rank_(rank) {}

  void OnTestStart(const ::testing::TestInfo& info) override {
    test_ = std::string(info.test_suite_name()) + "." + info.name();
  }
  // Skips too: a skip on this rank alone would otherwise pass unseen (.ci/check_skips.py reads them).
  void OnTestPartResult(const ::testing::TestPartResult& r) override {
    if (!r.failed() && !r.skipped()) return;
    std::ostringstream out;
    out << test_ << "\n"
        << (r.file_name() ? r.file_name() : "unknown file") << ":" << r.line_number()
        << (r.failed() ? ": Failure\n" : ": Skipped\n") << r.message() << "\n";
    write_prefixed(rank_, out.str());
  }
  void OnTestEnd(const ::testing::TestInfo& info) override {
    if (info.result()->Failed()) write_prefixed(rank_, "[  FAILED  ] " + test_);
  }

 private:
  int rank_;
  std::string test_ = "(outside a test)";
};

// CP_TEST_FAIL_ON_RANK=r adds a test that fails on rank r only: the check that
// such a failure reaches the output and the exit code (tests/support/check_rank_failures.sh).
void register_self_check(int rank) {
  const char* on = std::getenv("CP_TEST_FAIL_ON_RANK");
  if (!on) return;
  const int failing = std::atoi(on);
  ::testing::RegisterTest("MpiGtestMain", "FailsOnOneRank", nullptr, nullptr, __FILE__, __LINE__,
                          [rank, failing]() -> ::testing::Test* {
                            struct FailsOnOneRank : ::testing::Test {
                              int rank, failing;
                              FailsOnOneRank(int r, int f) : rank(r), failing(f) {}
                              void TestBody() override {
                                EXPECT_NE(rank, failing) << "the designated failure of rank " << failing;
                              }
                            };
                            return new FailsOnOneRank(rank, failing);
                          });
}

}  // namespace

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  ::testing::InitGoogleTest(&argc, argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  register_self_check(rank);
  if (rank != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new RankFailurePrinter(rank));
  }
  int local = RUN_ALL_TESTS();
  int global = 0;
  MPI_Allreduce(&local, &global, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (local != 0) write_prefixed(rank, "tests failed");
  MPI_Finalize();
  return global;
}
