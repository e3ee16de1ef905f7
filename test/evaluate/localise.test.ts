import { describe, expect, it } from "vitest";
import { bestDimension, localiseCount, localiseRatio } from "../../src/evaluate/localise.js";

const seg = (value: string, bNum: number, bDen: number, tNum: number, tDen: number) => ({
  value,
  base: { num: bNum, den: bDen },
  today: { num: tNum, den: tDen },
});

describe("localiseRatio", () => {
  it("rate + mix effects add up exactly to the total change", () => {
    const inputs = [seg("a", 300, 3000, 100, 3500), seg("b", 400, 4000, 380, 3800), seg("c", 200, 3000, 150, 2000)];
    const l = localiseRatio("dim_device_brand", inputs)!;
    const before = 900 / 10_000;
    const after = 630 / 9300;
    expect(l.rate + l.mix).toBeCloseTo(after - before, 12);
    expect(l.segments.reduce((s, x) => s + x.contribution, 0)).toBeCloseTo(1, 12);
  });

  it("a drop inside one segment is attributed to it, ranked first, and concentrated", () => {
    // iPhone (30 % of traffic) loses 70 % of its conversions; the others are unchanged.
    const inputs = [seg("Samsung", 120, 3000, 120, 3000), seg("iPhone", 120, 3000, 36, 3000), seg("Windows PC", 160, 4000, 160, 4000)];
    const l = localiseRatio("dim_device_brand", inputs)!;
    expect(l.segments[0].value).toBe("iPhone");
    expect(l.segments[0].contribution).toBeCloseTo(1, 10);
    expect(l.segments[0].change).toBeCloseTo(-0.7, 10);
    expect(l.mix).toBeCloseTo(0, 12);
    expect(l.concentration).toBeCloseTo(0.7, 10); // 1 − 0.3 uniform share
  });

  it("a uniform drop is not concentrated", () => {
    const inputs = [seg("x", 120, 3000, 96, 3000), seg("y", 160, 4000, 128, 4000)];
    const l = localiseRatio("dim_channel", inputs)!;
    expect(l.concentration).toBeCloseTo(0, 10);
  });

  it("recognises mix shift: traffic moving toward a weaker segment with unchanged rates", () => {
    // "x" converts at 1 %, "y" at 5 %; today x's share goes from 20 % to 60 %.
    const inputs = [seg("x", 20, 2000, 60, 6000), seg("y", 400, 8000, 200, 4000)];
    const l = localiseRatio("dim_channel", inputs)!;
    expect(l.rate).toBeCloseTo(0, 12);
    expect(l.mix).toBeCloseTo(260 / 10_000 - 420 / 10_000, 12);
    const x = l.segments.find((s) => s.value === "x")!;
    expect(Math.abs(x.mixEffect)).toBeGreaterThan(Math.abs(x.rateEffect));
    expect(x.mixEffect).toBeLessThan(0);
  });

  it("bestDimension picks the one that concentrates the drop", () => {
    const device = localiseRatio("dim_device_brand", [seg("iPhone", 120, 3000, 36, 3000), seg("other", 280, 7000, 280, 7000)])!;
    const channel = localiseRatio("dim_channel", [seg("a", 200, 5000, 158, 5000), seg("b", 200, 5000, 158, 5000)])!;
    expect(bestDimension([channel, device])!.dimension).toBe("dim_device_brand");
  });
});

describe("localiseCount", () => {
  it("ranks segments by their share of the absolute drop", () => {
    const l = localiseCount("dim_country", [
      { value: "US", today: 500, base: 1000 },
      { value: "IN", today: 900, base: 1000 },
      { value: "GB", today: 500, base: 500 },
    ])!;
    expect(l.segments.map((s) => s.value)).toEqual(["US", "IN", "GB"]);
    expect(l.segments[0].contribution).toBeCloseTo(500 / 600, 12);
    expect(l.segments[1].contribution).toBeCloseTo(100 / 600, 12);
  });
});
