#include "clusterprobe/metrics/record.hpp"

#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <iterator>
#include <sstream>

#include "clusterprobe/common/error.hpp"

namespace cp {

namespace {
template <class T>
void move_all(std::vector<T>& to, std::vector<T>& from) {
  to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
  from.clear();
}
}  // namespace

void RecordBatch::append(RecordBatch&& other) {
  move_all(metrics, other.metrics);
  move_all(assignments, other.assignments);
  move_all(similarities, other.similarities);
  move_all(failures, other.failures);
  move_all(penultimate, other.penultimate);
}

std::string serialize_batch(const RecordBatch& batch) {
  std::ostringstream os(std::ios::binary);
  {
    // The archive writes its tail on destruction: close it before reading os.
    boost::archive::binary_oarchive archive(os);
    archive << batch;
  }
  return os.str();
}

RecordBatch deserialize_batch(const std::string& bytes) {
  RecordBatch batch;
  try {
    std::istringstream is(bytes, std::ios::binary);
    boost::archive::binary_iarchive archive(is);
    archive >> batch;
  } catch (const std::exception& e) {
    // Bytes come from another rank of the same binary: a bad archive means a
    // transport or version problem, not a user error.
    throw IoError("deserialize_batch: corrupt record archive of " + std::to_string(bytes.size()) +
                  " bytes: " + e.what());
  }
  return batch;
}

}  // namespace cp
