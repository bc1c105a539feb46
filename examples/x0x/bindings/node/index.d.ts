export declare function checksum(data: Uint8Array | string): number;
export declare function encodeFrame(payload: Uint8Array | string): Buffer;
export declare function decodeFrame(frame: Uint8Array): Buffer | null;
export declare const isNative: boolean;
