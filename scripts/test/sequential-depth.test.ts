import { sequentialDepth, type RoundTrip } from "../bench/firestore-meter";

const trip = (start: number, end: number): RoundTrip => ({ kind: "get", start, end });

describe("sequentialDepth", () => {
  it("counts round trips made one after another", () => {
    expect(sequentialDepth([trip(0, 10), trip(10, 20), trip(25, 30)])).toBe(3);
  });

  it("counts overlapping round trips once", () => {
    expect(sequentialDepth([trip(0, 10), trip(2, 12), trip(1, 9)])).toBe(1);
    // The claim beside the agent's read, then the counters' read.
    expect(sequentialDepth([trip(0, 10), trip(1, 8), trip(11, 18)])).toBe(2);
  });

  it("finds the longest chain whatever the order given", () => {
    expect(sequentialDepth([trip(30, 40), trip(0, 35), trip(0, 5), trip(6, 29)])).toBe(3);
    expect(sequentialDepth([])).toBe(0);
  });
});
