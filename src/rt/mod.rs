//! The microthread runtime: tasklets, channels, reactor, timers and sockets.
