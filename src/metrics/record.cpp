#include "clusterprobe/metrics/record.hpp"

#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <iterator>
#include <sstream>

#include "clusterprobe/common/error.hpp"

namespace cp {

void RecordBatch::append(RecordBatch&& other) {
  metrics.insert(metrics.end(), std::make_move_iterator(other.metrics.begin()),
                 std::make_move_iterator(other.metrics.end()));
  assignments.insert(assignments.end(), std::make_move_iterator(other.assignments.begin()),
                     std::make_move_iterator(other.assignments.end()));
  similarities.insert(similarities.end(), std::make_move_iterator(other.similarities.begin()),
                      std::make_move_iterator(other.similarities.end()));
  other.metrics.clear();
  other.assignments.clear();
  other.similarities.clear();
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
