// queue/fsync_file: a durable local queue for the benchmark.
//
// Each message (with the headers the plugins added) is written to DIR/tmp/<uuid>, fsynced,
// closed and renamed into DIR/new/<uuid>; only then does the client get its 250. The I/O is
// asynchronous (libuv's thread pool), so the fsyncs of concurrent sessions overlap. DIR is
// $HARAKA_QUEUE_DIR. The directories are not fsynced after the rename.

const fs = require('node:fs')
const path = require('node:path')

exports.register = function () {
    this.dir = process.env.HARAKA_QUEUE_DIR
    fs.mkdirSync(path.join(this.dir, 'tmp'), { recursive: true })
    fs.mkdirSync(path.join(this.dir, 'new'), { recursive: true })
    this.register_hook('queue', 'write')
}

exports.write = function (next, connection) {
    const txn = connection.transaction
    const tmp = path.join(this.dir, 'tmp', txn.uuid)
    const dest = path.join(this.dir, 'new', txn.uuid)
    txn.message_stream.get_data(async (data) => {
        let fh
        try {
            fh = await fs.promises.open(tmp, 'w')
            await fh.writeFile(data)
            await fh.sync()
            await fh.close()
            fh = null
            await fs.promises.rename(tmp, dest)
        } catch (err) {
            if (fh) await fh.close().catch(() => {})
            connection.logerror(this, `queue write failed: ${err.message}`)
            return next(DENYSOFT, 'queue write failed')
        }
        next(OK)
    })
}
