package scout

// SignedBuffer exposes what SignMutable signs, for the vector tests.
var SignedBuffer = signedBuffer
