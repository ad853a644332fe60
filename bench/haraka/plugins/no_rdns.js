// no_rdns: answers Haraka's reverse-DNS lookup of each client with "localhost" instead of
// querying DNS, as stackmail makes no such lookup.
exports.hook_lookup_rdns = (next) => next(OK, 'localhost')
